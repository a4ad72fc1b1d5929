// A run's results: the numbers, seats and caps over time, the holder /
// capped / waitlisted lists (virtual, searchable, each row explainable) and
// the per-account explanation.
import { h, field, replace } from "../ui/dom.js";
import { count, fmt, when } from "../ui/format.js";
import { ruleLink, why } from "../ui/rules.js";
import { REASON_RULE, reasonText } from "../ui/words.js";
import { timelineChart, type Chart } from "./charts.js";
import { button, selectInput } from "./controls.js";
import { csvReportView } from "./csv-report.js";
import { explainPanel, type ExplainHooks } from "./explain-view.js";
import { ListView } from "./list-view.js";
import type { FeatureResult, RunSuccess } from "./shared.js";
import { Tabs } from "./tabs.js";

export function stat(
  name: string,
  label: string,
  value: string,
  detail?: string | (Node | string)[],
): HTMLElement {
  return h(
    "div",
    { class: "stat", "data-stat": name },
    h("div", { class: "value" }, value),
    h("div", { class: "label" }, label),
    detail ? h("div", { class: "hint" }, detail) : null,
  );
}

export interface ResultsView {
  element: HTMLElement;
  destroy(): void;
}

export function resultsView(run: RunSuccess, csvName: string, hooks: ExplainHooks): ResultsView {
  let charts: Chart[] = [];
  const features = run.features.map((f) => f.feature);
  const explain = explainPanel(features, hooks);
  const body = h("div", {});

  const show = (f: FeatureResult) => {
    for (const c of charts) c.destroy();
    charts = [];
    const limit = f.limit === null ? "unlimited" : fmt(f.limit);
    const stats = h(
      "div",
      { class: "stats" },
      stat("holders", "Seat holders", fmt(f.holders.length), `of ${limit} seats`),
      stat("capped", "Accounts capped", fmt(f.capped.length), [
        "no seat free, so set to disabled",
        ...why(5),
      ]),
      stat("waitlisted", "Waitlisted", fmt(f.waitlisted.length), [
        "waiting for a seat",
        ...why(12),
      ]),
      stat("accounts", "Accounts", fmt(run.stats.accounts)),
      stat("connects", "Connects", fmt(run.stats.connects), `${fmt(run.stats.allowed)} allowed`),
      stat("denied", "Connects denied", fmt(run.stats.connects - run.stats.allowed)),
    );

    const chartBox = h("div", {
      class: "chart",
      role: "img",
      "aria-label": `Seats held and accounts capped over time for ${f.feature}`,
    });
    const full = f.limit !== null ? f.series.seats.findIndex((v) => v >= f.limit!) : -1;
    const chartNote = h(
      "p",
      { class: "note" },
      full >= 0
        ? `Every seat was taken by ${when(new Date(f.series.t[full]! * 1000).toISOString())}.`
        : f.limit === null
          ? "Unlimited seats: nobody is capped."
          : "The seats never all filled during the run.",
    );

    const row = (kind: string) => (id: string) =>
      [
        h("span", { class: "mono sim-id" }, id),
        kind !== "holder"
          ? h("span", { class: `badge ${kind === "capped" ? "bad" : "warn"}` }, kind)
          : null,
        button("Explain", () => explain.explain(id, f.feature), { "aria-label": `Explain ${id}` }),
      ].filter((x): x is HTMLElement => x !== null);
    const lists = [
      {
        id: "holders",
        label: `Holders (${fmt(f.holders.length)})`,
        view: new ListView({
          label: "Seat holders, first to connect first",
          name: "holders",
          row: row("holder"),
          empty: "Nobody holds a seat.",
        }),
        items: f.holders,
      },
      {
        id: "capped",
        label: `Capped (${fmt(f.capped.length)})`,
        view: new ListView({
          label: "Capped accounts",
          name: "capped",
          row: row("capped"),
          empty: "Nobody was capped.",
        }),
        items: f.capped,
      },
      {
        id: "waitlisted",
        label: `Waitlisted (${fmt(f.waitlisted.length)})`,
        view: new ListView({
          label: "Waitlisted accounts, in arrival order",
          name: "waitlisted",
          row: row("waitlisted"),
          empty: "Nobody is waiting.",
        }),
        items: f.waitlisted,
      },
    ];
    for (const l of lists) l.view.setItems(l.items);
    const listTabs = new Tabs(
      "Account lists",
      lists.map((l) => ({ id: l.id, label: l.label, panel: h("div", {}, l.view.element) })),
      "sim-lists",
    );
    listTabs.select("holders");

    const reasons = Object.entries(run.stats.reasons).sort((a, b) => b[1] - a[1]);
    replace(
      body,
      stats,
      run.notes.map((n) => h("p", { class: "note" }, n)),
      h(
        "section",
        { class: "panel", "aria-labelledby": "sim-h-chart" },
        h("h2", { id: "sim-h-chart" }, `Seats and caps over time — ${f.feature}`),
        chartBox,
        chartNote,
      ),
      h(
        "section",
        { class: "panel", "aria-labelledby": "sim-h-lists" },
        h("h2", { id: "sim-h-lists" }, `Accounts — ${f.feature}`),
        listTabs.list,
        listTabs.panels,
      ),
      explain.element,
      h(
        "section",
        { class: "panel", "aria-labelledby": "sim-h-reasons" },
        h("h2", { id: "sim-h-reasons" }, "Connect decisions"),
        reasons.length
          ? h(
              "table",
              {},
              h(
                "thead",
                {},
                h(
                  "tr",
                  {},
                  h("th", { scope: "col" }, "Outcome"),
                  h("th", { scope: "col" }, "Why"),
                  h("th", { class: "num", scope: "col" }, "Connects"),
                ),
              ),
              h(
                "tbody",
                {},
                reasons.map(([r, n]) =>
                  h(
                    "tr",
                    { "data-reason": r },
                    h("td", {}, reasonText(r)),
                    h("td", {}, REASON_RULE[r] ? ruleLink(REASON_RULE[r]) : "—"),
                    h("td", { class: "num" }, fmt(n)),
                  ),
                ),
              ),
            )
          : h("p", { class: "note" }, "No connects in this run."),
        run.stats.opsOk + run.stats.opsFailed
          ? h(
              "p",
              {},
              `${count(run.stats.opsOk, "administrative event")} applied, ${fmt(run.stats.opsFailed)} refused`,
              run.stats.opsFailed
                ? ` (by error code: ${Object.entries(run.stats.errors)
                    .map(([c, n]) => `${c}: ${fmt(n)}`)
                    .join(", ")})`
                : "",
              ".",
            )
          : null,
      ),
      run.csv
        ? h(
            "section",
            { class: "panel", "aria-labelledby": "sim-h-csv" },
            h("h2", { id: "sim-h-csv" }, "CSV log"),
            csvReportView(run.csv, csvName),
          )
        : null,
    );
    // Drawn once the box is in the page, so it knows its width.
    requestAnimationFrame(() => {
      if (chartBox.isConnected) charts.push(timelineChart(chartBox, f.series, f.limit));
    });
  };

  const picker =
    features.length > 1
      ? field(
          "Feature",
          selectInput(
            features.map((f) => [f, f] as const),
            features[0]!,
            (v) => show(run.features.find((f) => f.feature === v)!),
          ),
        )
      : null;
  const element = h(
    "div",
    { class: "sim-results", "data-results": "run" },
    h(
      "p",
      { class: "note" },
      `${count(run.stats.events, "event")} (${fmt(run.stats.timelineEvents)} from the timeline) simulated in ${fmt(run.ms)} ms${run.first ? `, from ${when(run.first)} to ${when(run.last)}` : ""}.`,
    ),
    picker,
    body,
  );
  if (run.features[0]) show(run.features[0]);
  else replace(body, h("p", { class: "note" }, "The licence has no features."));
  return {
    element,
    destroy: () => {
      for (const c of charts) c.destroy();
    },
  };
}
