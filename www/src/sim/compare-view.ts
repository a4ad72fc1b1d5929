// Two licences or policies side by side on the same timeline: A is the
// scenario as built, B changes its seats, mailboxes or policy. The accounts
// whose standing differs (holder in A, capped in B, …) are listed.
import type { Capping, Overflow, Shrink } from "../../../js/src/types.js";
import { errorBox, field, h, replace } from "../ui/dom.js";
import { fmt } from "../ui/format.js";
import { checkbox, numberInput, selectInput, button, type FormContext } from "./controls.js";
import { CAPPING, OVERFLOW, SHRINK } from "./form-licence.js";
import { ListView } from "./list-view.js";
import { STANDINGS, type CompareResult, type CompareSide } from "./shared.js";

export interface CompareHooks {
  run(): Promise<CompareResult | null>;
  /** The feature compared (the timeline's, else the licence's first). */
  feature(): string;
  starter(b: HTMLButtonElement): HTMLButtonElement;
}

function sideLabel(
  seats: string,
  mailboxes: string,
  p: { capping: string; overflow: string; shrink: string; restoreOnGrow: boolean },
): string {
  return `${seats.trim() === "" ? "unlimited" : seats} seats, ${mailboxes.trim() === "" ? "unlimited" : mailboxes} mailboxes; ${p.capping}, ${p.overflow}, ${p.shrink}${p.restoreOnGrow ? ", restore on grow" : ""}`;
}

export function compareView(
  ctx: FormContext,
  hooks: CompareHooks,
): { element: HTMLElement; refresh(): void } {
  const form = h("div", {});
  const out = h("div", { "data-results": "compare" });
  // Each row shows the account's standing on both sides, looked up by id (the list may be filtered).
  let standings: { a: Uint8Array; b: Uint8Array; index: Map<string, number> } | null = null;
  const badge = (s: string) =>
    h(
      "span",
      {
        class: `badge ${s === "holder" ? "good" : s === "capped" ? "bad" : s === "waitlisted" ? "warn" : ""}`,
      },
      s,
    );
  const rowOf = (id: string): HTMLElement[] => {
    const i = standings?.index.get(id);
    const cells = [h("span", { class: "mono sim-id" }, id)];
    if (standings && i !== undefined) {
      cells.push(
        h("span", { class: "sim-side" }, "A: ", badge(STANDINGS[standings.a[i]!] ?? "?")),
        h("span", { class: "sim-side" }, "B: ", badge(STANDINGS[standings.b[i]!] ?? "?")),
      );
    }
    return cells;
  };
  const differ = new ListView({
    label: "Accounts whose outcome differs",
    name: "differ",
    row: rowOf,
    empty: "No account's outcome differs.",
    height: 300,
  });
  const go = hooks.starter(
    h("button", { type: "button", "data-action": "compare" }, "Compare A and B"),
  );
  go.addEventListener("click", async () => {
    const r = await hooks.run();
    if (!r) return;
    if (r.type === "failure") {
      replace(out, errorBox(r.error.message));
      return;
    }
    standings = {
      a: r.standingA,
      b: r.standingB,
      index: new Map(r.accounts.map((id, i) => [id, i])),
    };
    const transitions = new Map<string, number>();
    for (let i = 0; i < r.accounts.length; i++) {
      const key = `${STANDINGS[r.standingA[i]!]} in A → ${STANDINGS[r.standingB[i]!]} in B`;
      transitions.set(key, (transitions.get(key) ?? 0) + 1);
    }
    const rows: [string, keyof CompareSide][] = [
      ["Seat limit", "limit"],
      ["Seat holders", "holders"],
      ["Accounts capped", "capped"],
      ["Waitlisted", "waitlisted"],
      ["Connects denied", "denied"],
    ];
    const num = (v: number | null) => (v === null ? "unlimited" : fmt(v));
    replace(
      out,
      h(
        "table",
        { class: "sim-compare-table" },
        h("caption", {}, `${r.feature}: A and B on the same timeline`),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, ""),
            h("th", { class: "num", scope: "col" }, "A"),
            h("th", { class: "num", scope: "col" }, "B"),
            h("th", { class: "num", scope: "col" }, "B − A"),
          ),
        ),
        h(
          "tbody",
          {},
          rows.map(([label, key]) => {
            const a = r.a[key],
              b = r.b[key];
            const delta =
              a === null || b === null
                ? "—"
                : b - a === 0
                  ? "0"
                  : `${b - a > 0 ? "+" : "−"}${fmt(Math.abs(b - a))}`;
            return h(
              "tr",
              { "data-metric": key },
              h("th", { scope: "row" }, label),
              h("td", { class: "num", "data-side": "a" }, num(a)),
              h("td", { class: "num", "data-side": "b" }, num(b)),
              h("td", { class: "num" }, delta),
            );
          }),
        ),
      ),
      h("h3", {}, `${fmt(r.accounts.length)} accounts end differently`),
      transitions.size
        ? h(
            "ul",
            { "data-transitions": "" },
            [...transitions].map(([k, n]) => h("li", {}, `${k}: ${fmt(n)}`)),
          )
        : null,
      differ.element,
    );
    differ.setItems(r.accounts);
  });

  const refresh = () => {
    // Read the state afresh: a preset, a link or a loaded file replaces it.
    const d = ctx.state.draft;
    const c = ctx.state.compare;
    const feature = hooks.feature();
    const a = d.licence.features.find((f) => f.name.trim() === feature);
    replace(
      form,
      h(
        "p",
        {},
        h("strong", {}, "A"),
        ` — the scenario as built: ${sideLabel(a?.seats ?? "", d.licence.mailboxes, d.policy)}.`,
      ),
      h(
        "fieldset",
        { class: "sim-b" },
        h("legend", {}, `B — what changes (${feature || "no feature"})`),
        h(
          "div",
          { class: "row" },
          field(
            `Seats of ${feature || "the feature"}`,
            numberInput(
              c.seats,
              (v) => {
                c.seats = v;
                ctx.changed();
              },
              { placeholder: "unlimited" },
            ),
            "Empty: unlimited",
          ),
          field(
            "Mailboxes",
            numberInput(
              c.mailboxes,
              (v) => {
                c.mailboxes = v;
                ctx.changed();
              },
              { placeholder: "unlimited" },
            ),
          ),
        ),
        h(
          "div",
          { class: "grid" },
          field(
            "Capping",
            selectInput<Capping>(CAPPING, c.capping, (v) => {
              c.capping = v;
              ctx.changed();
            }),
          ),
          field(
            "Overflow",
            selectInput<Overflow>(OVERFLOW, c.overflow, (v) => {
              c.overflow = v;
              ctx.changed();
            }),
          ),
          field(
            "Shrink",
            selectInput<Shrink>(SHRINK, c.shrink, (v) => {
              c.shrink = v;
              ctx.changed();
            }),
          ),
        ),
        checkbox("Restore capped accounts when the licence grows", c.restoreOnGrow, (v) => {
          c.restoreOnGrow = v;
          ctx.changed();
        }),
      ),
      h(
        "div",
        { class: "row sim-plain" },
        button("Copy A into B", () => {
          Object.assign(c, d.policy, { seats: a?.seats ?? "", mailboxes: d.licence.mailboxes });
          ctx.changed(true);
        }),
        go,
      ),
      ctx.slots.slot("compare"),
    );
  };
  refresh();
  const element = h(
    "section",
    { class: "panel", "aria-labelledby": "sim-h-compare" },
    h("h2", { id: "sim-h-compare" }, "Compare two licences or policies"),
    form,
    out,
  );
  return { element, refresh };
}
