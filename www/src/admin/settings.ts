// Settings at one node (server, domain, class, account), each feature with
// its setting, effective value and source, and "Change…": pick a value,
// preview what it does to seats (simulated from the live state in the
// engine worker), then Apply writes it (PUT /v1/settings).
import { Cancelled } from "../engine-client.js";
import { type Child, errorBox, field, h, replace } from "../ui/dom.js";
import { count, fmt, when } from "../ui/format.js";
import { why } from "../ui/rules.js";
import { ApiError, type Setting } from "./api.js";
import {
  type Ctx,
  errorText,
  idList,
  isAbort,
  nodeText,
  seatNumber,
  seatsExhausted,
  settingBadge,
  sourceText,
  table,
} from "./common.js";
import { previewChange, type Change, type Preview } from "./preview.js";

export interface FeatureRow {
  feature: string;
  setting: Setting;
  effective: Setting | null;
  source: string | null;
  /** Extra cells after the source (seat, capped, …). */
  extra?: (HTMLElement | string)[];
}

export interface SettingsTableOptions {
  node: string;
  caption: string;
  rows: FeatureRow[];
  extraHead?: string[];
  /** `true`, or the reason the node can't be changed by this administrator. */
  editable: true | string;
}

/** The feature table of one node, with its editor slot below it. */
export function settingsTable(ctx: Ctx, options: SettingsTableOptions): HTMLElement {
  const slot = h("div", { class: "editor-slot" });
  const open = (row: FeatureRow, opener: HTMLButtonElement) => {
    replace(
      slot,
      settingEditor(ctx, { node: options.node, feature: row.feature, current: row.setting }, () => {
        replace(slot);
        opener.focus();
      }),
    );
    slot.querySelector<HTMLElement>("h3")?.focus();
  };
  const rows = options.rows.map((row) => {
    const change =
      options.editable === true
        ? (() => {
            const b = h(
              "button",
              {
                type: "button",
                class: "secondary small",
                "data-change": row.feature,
                "aria-label": `Change ${row.feature} at ${nodeText(options.node)}`,
              },
              "Change…",
            );
            b.addEventListener("click", () => open(row, b));
            return b;
          })()
        : null;
    return h(
      "tr",
      { "data-feature": row.feature },
      h("th", { scope: "row", "data-label": "Feature" }, h("code", {}, row.feature)),
      h("td", { "data-col": "setting", "data-label": "Setting" }, settingBadge(row.setting)),
      h("td", { "data-col": "effective", "data-label": "Effective" }, settingBadge(row.effective)),
      h(
        "td",
        { "data-col": "source", "data-label": "Source" },
        sourceText(row.source, options.node),
      ),
      (row.extra ?? []).map((cell, i) =>
        h("td", { "data-label": options.extraHead?.[i] ?? "" }, cell),
      ),
      options.editable === true ? h("td", { "data-label": "" }, change) : null,
    );
  });
  const head = [
    "Feature",
    "Setting",
    "Effective",
    "Source",
    ...(options.extraHead ?? []),
    ...(options.editable === true ? [""] : []),
  ];
  return h(
    "div",
    { class: "settings", "data-node": options.node },
    table(options.caption, head, rows),
    options.editable === true ? null : h("p", { class: "note readonly-reason" }, options.editable),
    slot,
  );
}

interface EditorTarget {
  node: string;
  feature: string;
  current: Setting;
}

function settingEditor(ctx: Ctx, target: EditorTarget, close: () => void): HTMLElement {
  const values: Setting[] =
    target.node === "server" ? ["enabled", "disabled"] : ["enabled", "disabled", "inherit"];
  const select = h(
    "select",
    { name: "value" },
    values.map((v) => h("option", { value: v, selected: v === target.current }, v)),
  );
  const previewButton = h("button", { type: "submit" }, "Preview change");
  const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
  const result = h("div", { class: "preview-area", "aria-live": "polite" });
  let job: AbortController | undefined;
  const titleId = `edit-${Math.random().toString(36).slice(2)}`;
  cancel.addEventListener("click", () => {
    job?.abort();
    close();
  });
  // A new value makes the preview stale: it has to be run again before Apply.
  select.addEventListener("change", () => {
    job?.abort();
    replace(result);
  });
  const form = h(
    "form",
    { class: "row" },
    field(
      "New setting",
      select,
      target.node === "server"
        ? "The server has no level above it: enabled or disabled."
        : "inherit: take the value from the level above",
    ),
    previewButton,
    cancel,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    job?.abort();
    job = new AbortController();
    void runPreview(
      ctx,
      { node: target.node, feature: target.feature, value: select.value as Setting },
      result,
      job.signal,
      previewButton,
    );
  });
  return h(
    "section",
    {
      class: "panel editor",
      "aria-labelledby": titleId,
      "data-editor": `${target.node} ${target.feature}`,
    },
    h(
      "h3",
      { id: titleId, tabindex: "-1" },
      "Change ",
      h("code", {}, target.feature),
      " for ",
      nodeText(target.node),
    ),
    h(
      "p",
      { class: "note" },
      "Currently ",
      h("strong", {}, target.current),
      ". Nothing is written until you press Apply after the preview.",
    ),
    form,
    result,
  );
}

async function runPreview(
  ctx: Ctx,
  change: Change,
  out: HTMLElement,
  signal: AbortSignal,
  button: HTMLButtonElement,
): Promise<void> {
  const status = h("p", { class: "note", role: "status" }, "Reading the server's current state…");
  replace(out, status);
  button.disabled = true;
  try {
    let exported: Awaited<ReturnType<typeof ctx.api.exportScenario>>;
    try {
      exported = await ctx.api.exportScenario(signal);
    } catch (e) {
      if (e instanceof ApiError && e.status === 403) {
        replace(out, await limitedPreview(ctx, change, e, signal), applyBlock(ctx, change, false));
        return;
      }
      throw e;
    }
    const exportedAt = new Date();
    const accounts = exported.directory.accounts?.length ?? 0;
    status.textContent = `Simulating ${count(accounts, "account")} in your browser…`;
    const preview = await previewChange(exported, change, signal, exportedAt);
    if (signal.aborted) return;
    replace(out, renderPreview(preview), applyBlock(ctx, change, preview.refused !== undefined));
  } catch (e) {
    if (isAbort(e) || e instanceof Cancelled || signal.aborted) return;
    replace(out, errorBox(`The preview failed: ${errorText(e)}`), applyBlock(ctx, change, false));
  } finally {
    button.disabled = false;
  }
}

function renderPreview(p: Preview): HTMLElement {
  const { change } = p;
  const noSeatChange =
    p.gains.length === 0 &&
    p.losses.length === 0 &&
    p.capped.length === 0 &&
    p.uncapped.length === 0;
  const section = (
    title: string,
    ids: string[],
    kind: string,
    cls: string,
    lead?: string | Child[],
  ) =>
    h(
      "div",
      { class: `preview-group ${cls}`, "data-preview": kind },
      h("h4", {}, `${title} (${fmt(ids.length)})`),
      lead ? h("p", { class: "note" }, lead) : null,
      idList(ids, title),
    );
  const body: (HTMLElement | null)[] = [];
  if (p.refused) {
    body.push(
      p.refused.code === "seats-exhausted"
        ? seatsExhausted(
            p.refused.message,
            p.refused.holders,
            "The server would refuse this change:",
          )
        : errorBox(
            `The server would refuse this change: ${errorText(new ApiError(409, p.refused.code, p.refused.message))}`,
          ),
    );
    body.push(
      h(
        "p",
        { class: "note" },
        "Nothing would change. The server decides on Apply, from the state at that moment.",
      ),
    );
  } else {
    body.push(
      h(
        "div",
        { class: "stats preview-stats" },
        statCell("Seats used now", fmt(p.usedBefore), "used-before"),
        statCell("Seats used after", fmt(p.usedAfter), "used-after"),
        statCell("Limit", seatNumber(p.limit), "limit"),
      ),
    );
    if (noSeatChange)
      body.push(
        h(
          "p",
          { "data-preview": "no-seat-change" },
          "No account gains or loses a seat, and no one is capped or restored, when you apply this.",
        ),
      );
    if (p.gains.length)
      body.push(
        section("Gains a seat", p.gains, "gains", "gain", [
          "Enabling an account gives it a seat at once",
          ...why(6),
          ".",
        ]),
      );
    if (p.losses.length)
      body.push(
        section("Loses its seat", p.losses, "losses", "loss", [
          "Its seat is freed for the next account that connects",
          ...why(7, 8),
          ".",
        ]),
      );
    if (p.capped.length)
      body.push(
        section("Capped", p.capped, "capped", "loss", [
          "Their setting becomes disabled, marked as capped",
          ...why(5),
          ".",
        ]),
      );
    if (p.uncapped.length) body.push(section("No longer capped", p.uncapped, "uncapped", "gain"));
    if (p.enabled.length || p.disabled.length) {
      body.push(
        h(
          "details",
          { class: "effective-changes", "data-preview": "effective" },
          h(
            "summary",
            {},
            `Accounts whose feature turns on or off: ${fmt(p.enabled.length)} turned on, ${fmt(p.disabled.length)} turned off`,
          ),
          p.enabled.length ? [h("h4", {}, "Turned on"), idList(p.enabled, "Turned on")] : null,
          p.disabled.length ? [h("h4", {}, "Turned off"), idList(p.disabled, "Turned off")] : null,
        ),
      );
    }
    const pr = p.projection;
    if (pr.connecting > 0) {
      const verb =
        pr.overflow === "waitlist"
          ? ["wait for a seat", ...why(12)]
          : ["be capped (set to disabled)", ...why(5)];
      body.push(
        h(
          "div",
          { class: "projection", "data-preview": "projection" },
          h("h4", {}, "When they connect"),
          h(
            "p",
            {},
            `This change turns the feature on for ${count(pr.connecting, "account")} without a seat. If they connect before anyone else, `,
            h("strong", { class: "gain" }, `${fmt(pr.claim.length)} would get a seat`),
            " and ",
            h(
              "strong",
              { class: "loss" },
              `${fmt(pr.capped.length + pr.waitlisted.length)} would `,
              ...verb,
            ),
            ". Seats go first come, first served",
            ...why(4),
            ", so which ones depends on who connects first; the lists below assume alphabetical order.",
          ),
          pr.claim.length
            ? section("Would get a seat at first connect", pr.claim, "would-claim", "gain")
            : null,
          pr.capped.length
            ? section("Would be capped at first connect", pr.capped, "would-cap", "loss")
            : null,
          pr.waitlisted.length
            ? section("Would wait at first connect", pr.waitlisted, "would-wait", "warn")
            : null,
        ),
      );
    }
  }
  return h(
    "div",
    { class: "preview", "data-preview-of": `${change.node} ${change.feature} ${change.value}` },
    h(
      "h4",
      { class: "preview-title" },
      "Preview: set ",
      h("code", {}, change.feature),
      " for ",
      nodeText(change.node),
      " to ",
      h("strong", {}, change.value),
    ),
    h(
      "p",
      { class: "note" },
      `Simulated in your browser on a copy of the server's state read at ${when(p.exportedAt.toISOString())} (${count(p.accounts, "account")}). Nothing is written yet.`,
    ),
    body,
  );
}

function statCell(label: string, value: string, key: string): HTMLElement {
  return h(
    "div",
    { class: "stat", "data-stat": key },
    h("div", { class: "value" }, value),
    h("div", { class: "label" }, label),
  );
}

/** For a domain administrator (no export): the facts it can read, said to be a limited preview. */
async function limitedPreview(
  ctx: Ctx,
  change: Change,
  reason: ApiError,
  signal: AbortSignal,
): Promise<HTMLElement> {
  const facts: (HTMLElement | string)[] = [];
  try {
    const seats = await ctx.api.featureSeats(change.feature, signal);
    const limitText =
      seats.limit === null
        ? "unlimited seats"
        : `${fmt(seats.used)} of ${fmt(seats.limit)} seats held, ${fmt(seats.free ?? 0)} free`;
    facts.push(h("li", {}, `${change.feature}: ${limitText} (whole licence).`));
    if (change.node.startsWith("account:")) {
      const id = change.node.slice("account:".length);
      const account = await ctx.api.account(id, signal);
      const f = account.features[change.feature];
      if (f) {
        facts.push(
          h(
            "li",
            {},
            `${id} ${f.seat ? `holds a seat since ${when(f.seat.since)}` : "holds no seat"}; the feature is ${f.effective}, ${f.source === change.node ? "set on the account itself" : `from ${nodeText(f.source ?? "server")}`}.`,
          ),
        );
        if (change.value === "enabled" && !f.seat && account.type === "premium") {
          facts.push(
            h(
              "li",
              { class: seats.free === 0 ? "loss" : "gain" },
              seats.free === 0
                ? [
                    "No seat is free: the server will refuse to enable it until you disable a seat holder",
                    ...why(6),
                    ".",
                  ]
                : ["Enabling it gives it one of the free seats at once", ...why(6), "."],
            ),
          );
        }
        if (change.value === "disabled" && f.seat)
          facts.push(h("li", { class: "loss" }, "Disabling it frees its seat", ...why(7), "."));
        if (change.value === "inherit" && f.seat)
          facts.push(
            h(
              "li",
              {},
              "It keeps its seat if the level above has the feature enabled, and frees it otherwise",
              ...why(8),
              ".",
            ),
          );
      }
    } else {
      const domain = change.node.replace(/^(domain|class):/, "").split("/")[0] ?? "";
      facts.push(
        h(
          "li",
          {},
          `Seat holders in ${domain} that this change turns off lose their seats`,
          ...why(8),
          "; accounts it turns on get a seat at their next connect if one is free.",
        ),
      );
    }
  } catch (e) {
    if (isAbort(e)) throw e;
    facts.push(h("li", {}, `Could not read the seats: ${errorText(e)}`));
  }
  return h(
    "div",
    { class: "preview limited", "data-preview": "unavailable" },
    h("h4", { class: "preview-title" }, "Full preview unavailable"),
    h(
      "p",
      {},
      `A full preview simulates the whole server's state, which only a server administrator may export (the server answered: ${reason.message}). `,
      "Below is what your role can read. Apply still writes within your domain, and the server refuses what the rules forbid.",
    ),
    h("ul", { class: "facts" }, facts),
  );
}

function applyBlock(ctx: Ctx, change: Change, refusedInPreview: boolean): HTMLElement {
  const apply = h(
    "button",
    { type: "button", class: refusedInPreview ? "secondary" : "", "data-apply": "" },
    refusedInPreview ? "Try to apply anyway" : `Apply: set ${change.feature} to ${change.value}`,
  );
  const answer = h("div", { class: "apply-answer", "aria-live": "polite" });
  apply.addEventListener("click", async () => {
    apply.disabled = true;
    replace(answer, h("p", { class: "note", role: "status" }, "Writing…"));
    try {
      await ctx.api.setSetting(change.node, change.feature, change.value);
      ctx.refresh({
        kind: "good",
        text: `Applied: ${change.feature} for ${nodeText(change.node)} is now ${change.value}.`,
      });
    } catch (e) {
      apply.disabled = false;
      if (e instanceof ApiError && e.code === "seats-exhausted")
        replace(answer, seatsExhausted(e.message, e.holders, "The server refused the change:"));
      else replace(answer, errorBox(`The server refused the change: ${errorText(e)}`));
    }
  });
  return h("div", { class: "apply" }, h("div", { class: "row" }, apply), answer);
}
