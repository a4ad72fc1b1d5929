// The licence (mailboxes, expiry, features with seats) and the policy
// options of R5, R10, R12.
import { type Child, field, h } from "../ui/dom.js";
import { why } from "../ui/rules.js";
import type { PolicyDraft } from "./draft.js";
import {
  button,
  checkbox,
  numberInput,
  selectInput,
  textInput,
  type FormContext,
} from "./controls.js";

export const CAPPING = [
  ["on-attempt", "on attempt"],
  ["at-cap", "at cap"],
] as const;
export const OVERFLOW = [
  ["disable", "disable (as Axigen)"],
  ["waitlist", "waitlist"],
] as const;
export const SHRINK = [
  ["grandfather", "grandfather"],
  ["evict-newest", "evict newest"],
  ["evict-idle", "evict idle"],
] as const;

/** Renames a feature everywhere the forms key settings by it. */
function renameFeature(ctx: FormContext, from: string, to: string): void {
  const d = ctx.state.draft;
  const move = (r: Record<string, unknown>) => {
    if (from in r && !(to in r)) {
      r[to] = r[from];
      delete r[from];
    }
  };
  move(d.server);
  for (const dom of d.domains) {
    move(dom.settings);
    for (const c of dom.classes) move(c.settings);
  }
  if (ctx.state.timeline.feature === from) ctx.state.timeline.feature = to;
}

export function licencePanel(ctx: FormContext): HTMLElement {
  const l = ctx.state.draft.licence;
  const rows = l.features.map((f, i) => {
    const name = textInput(
      f.name,
      (v) => {
        f.name = v;
        ctx.changed();
      },
      { "aria-describedby": "sim-feature-hint" },
    );
    // Settings are keyed by the name: rename them once the edit is finished, then redraw.
    let before = f.name;
    name.addEventListener("change", () => {
      renameFeature(ctx, before.trim(), f.name.trim());
      before = f.name;
      ctx.changed(true);
    });
    return h(
      "div",
      { class: "row sim-feature" },
      field("Feature", name),
      field(
        "Seats",
        numberInput(
          f.seats,
          (v) => {
            f.seats = v;
            ctx.changed();
          },
          { placeholder: "unlimited" },
        ),
        "Empty: unlimited",
      ),
      button(
        `Remove ${f.name || "feature"}`,
        () => {
          l.features.splice(i, 1);
          ctx.changed(true);
        },
        { "aria-label": `Remove feature ${f.name}` },
      ),
    );
  });
  return h(
    "section",
    { class: "panel", "aria-labelledby": "sim-h-licence" },
    h("h2", { id: "sim-h-licence" }, "Licence"),
    h(
      "div",
      { class: "row" },
      field(
        "Mailboxes",
        numberInput(
          l.mailboxes,
          (v) => {
            l.mailboxes = v;
            ctx.changed();
          },
          { placeholder: "unlimited" },
        ),
        ["Most accounts the licence allows; empty: unlimited", ...why(9)],
      ),
      field(
        "Expires",
        textInput(
          l.expires,
          (v) => {
            l.expires = v;
            ctx.changed();
          },
          { placeholder: "never" },
        ),
        "ISO date or time, e.g. 2026-12-31; empty: never",
      ),
    ),
    h("h3", {}, "Features and seats"),
    h(
      "p",
      { class: "hint", id: "sim-feature-hint" },
      "Feature names as the server knows them, e.g. activesync, outlook-connector.",
    ),
    ...rows,
    button("Add feature", () => {
      l.features.push({
        name: l.features.length ? `feature${l.features.length + 1}` : "activesync",
        seats: "",
      });
      ctx.changed(true);
    }),
    ctx.slots.slot("licence"),
  );
}

export function policyPanel(ctx: FormContext): HTMLElement {
  const p = ctx.state.draft.policy;
  /** A field choosing one of the policy's settings; a change redraws the results. */
  const choice = <K extends "capping" | "overflow" | "shrink">(
    label: string,
    key: K,
    options: readonly (readonly [PolicyDraft[K], string])[],
    hints: Child[],
  ) =>
    field(
      label,
      selectInput<PolicyDraft[K]>(options, p[key], (v) => {
        p[key] = v;
        ctx.changed();
      }),
      hints,
    );
  return h(
    "section",
    { class: "panel", "aria-labelledby": "sim-h-policy" },
    h("h2", { id: "sim-h-policy" }, "Policy"),
    h(
      "div",
      { class: "grid" },
      choice("When the cap applies (capping)", "capping", CAPPING, [
        "On attempt: an account is capped when it connects and finds no free seat. At cap: when the last seat goes, every other account with the feature enabled is capped at once.",
        ...why(5),
      ]),
      choice("What happens past the cap (overflow)", "overflow", OVERFLOW, [
        "Disable: a capped account's setting becomes disabled. Waitlist: it is refused and waits in line for the next free seat.",
        ...why(5, 12),
      ]),
      choice("When the licence shrinks (shrink)", "shrink", SHRINK, [
        "Grandfather: holders keep their seats. Evict newest: the latest to take a seat lose theirs first. Evict idle: those not seen for longest lose theirs first.",
        ...why(10),
      ]),
    ),
    checkbox(
      "Restore capped accounts when the licence grows (restoreOnGrow)",
      p.restoreOnGrow,
      (v) => {
        p.restoreOnGrow = v;
        ctx.changed();
      },
      ["More seats then give capped accounts another chance", ...why(10, 11)],
    ),
    ctx.slots.slot("policy"),
  );
}
