// The sizing curve: the same run replayed for a range of seat counts, to
// see how many accounts each licence size would cap. One engine run per
// point, in the worker, with progress per point.
import { field, h, replace, errorBox } from "../ui/dom.js";
import { fmt, pct } from "../ui/format.js";
import { sizingChart, type Chart } from "./charts.js";
import { numberInput, type FormContext } from "./controls.js";
import type { SizingResult } from "./shared.js";

export interface SizingHooks {
  /** Runs the curve; null when cancelled or refused (the problem is then shown where it belongs). */
  run(): Promise<SizingResult | null>;
  starter(b: HTMLButtonElement): HTMLButtonElement;
}

export function sizingView(
  ctx: FormContext,
  hooks: SizingHooks,
): { element: HTMLElement; refresh(): void; destroy(): void } {
  let chart: Chart | null = null;
  const form = h("div", {});
  const out = h("div", { "data-results": "sizing" });
  const go = hooks.starter(
    h("button", { type: "button", "data-action": "sizing" }, "Draw the sizing curve"),
  );
  go.addEventListener("click", async () => {
    const r = await hooks.run();
    chart?.destroy();
    chart = null;
    if (!r) return;
    if (r.type === "failure") {
      replace(out, errorBox(r.error.message));
      return;
    }
    const box = h("div", {
      class: "chart",
      role: "img",
      "aria-label": `Accounts capped for each number of ${r.feature} seats bought; the table below has the same numbers`,
    });
    const firstNone = r.points.find((p) => p.capped === 0 && p.waitlisted === 0);
    replace(
      out,
      h("h3", {}, `Accounts capped by seats of ${r.feature}`),
      r.notes.map((n) => h("p", { class: "note" }, n)),
      box,
      h(
        "p",
        { class: "note" },
        firstNone
          ? `From ${fmt(firstNone.seats)} seats on, nobody is capped or waiting.`
          : "Every point leaves someone capped or waiting.",
      ),
      h(
        "table",
        { class: "sim-sizing-table" },
        h("caption", {}, "Each row is one run of the whole timeline"),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ...[
              "Seats bought",
              "Seat holders",
              "Accounts capped",
              "Waitlisted",
              "Connects denied",
              "Share turned away",
            ].map((t) => h("th", { class: "num", scope: "col" }, t)),
          ),
        ),
        h(
          "tbody",
          {},
          r.points.map((p) => {
            const asked = p.holders + p.capped + p.waitlisted;
            return h(
              "tr",
              { "data-seats": p.seats },
              h("td", { class: "num" }, fmt(p.seats)),
              h("td", { class: "num", "data-col": "holders" }, fmt(p.holders)),
              h("td", { class: "num", "data-col": "capped" }, fmt(p.capped)),
              h("td", { class: "num", "data-col": "waitlisted" }, fmt(p.waitlisted)),
              h("td", { class: "num", "data-col": "denied" }, fmt(p.denied)),
              h("td", { class: "num" }, asked ? pct((p.capped + p.waitlisted) / asked) : "—"),
            );
          }),
        ),
      ),
    );
    requestAnimationFrame(() => {
      if (box.isConnected) chart = sizingChart(box, r.points);
    });
  });

  const refresh = () => {
    // Read the state afresh: a preset, a link or a loaded file replaces it.
    const t = ctx.state.timeline;
    const s = ctx.state.sizing;
    replace(
      form,
      h(
        "p",
        { class: "hint" },
        t.kind === "none"
          ? "Replays the scenario's own events for each seat count of the licence's first feature."
          : `Replays the same timeline (${t.kind === "csv" ? "the CSV log" : "generated"}) for each seat count of ${t.feature}. Everything else stays as built.`,
      ),
      h(
        "div",
        { class: "row" },
        field(
          "From (seats)",
          numberInput(s.from, (v) => {
            s.from = v;
            ctx.changed();
          }),
        ),
        field(
          "To (seats)",
          numberInput(s.to, (v) => {
            s.to = v;
            ctx.changed();
          }),
        ),
        field(
          "Points",
          numberInput(s.points, (v) => {
            s.points = v;
            ctx.changed();
          }),
          "2 to 25 runs",
        ),
        go,
      ),
      ctx.slots.slot("sizing"),
    );
  };
  refresh();
  const element = h(
    "section",
    { class: "panel", "aria-labelledby": "sim-h-sizing" },
    h("h2", { id: "sim-h-sizing" }, "Sizing curve"),
    form,
    out,
  );
  return { element, refresh, destroy: () => chart?.destroy() };
}
