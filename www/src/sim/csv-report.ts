// What a CSV log gave: connects read, accounts, the period, and every line
// that could not be used with its line number and the reason.
import { errorBox, h } from "../ui/dom.js";
import { count, fmt, when } from "../ui/format.js";
import type { CsvReport } from "./shared.js";

export function csvReportView(report: CsvReport, name: string): HTMLElement {
  const summary = h(
    "p",
    { "data-csv": "summary" },
    `${name}: ${count(report.rows, "connect")} from ${count(report.distinct, "account")}`,
    report.rows ? `, ${when(report.first)} to ${when(report.last)}` : "",
    report.header ? ". The header line was skipped." : ".",
  );
  const parts: HTMLElement[] = [summary];
  if (report.reordered)
    parts.push(
      h(
        "p",
        { class: "note" },
        `${count(report.reordered, "line")} came earlier than the line before; the log is replayed in time order.`,
      ),
    );
  if (report.badTotal) {
    parts.push(
      errorBox(
        `${count(report.badTotal, "line")} could not be used and ${report.badTotal === 1 ? "is" : "are"} left out of the run:`,
      ),
    );
    parts.push(
      h(
        "table",
        { class: "sim-bad-lines", "data-csv": "bad" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { class: "num", scope: "col" }, "Line"),
            h("th", { scope: "col" }, "Text"),
            h("th", { scope: "col" }, "Problem"),
          ),
        ),
        h(
          "tbody",
          {},
          report.bad.map((b) =>
            h(
              "tr",
              { "data-line": b.line },
              h("td", { class: "num" }, fmt(b.line)),
              h("td", { class: "mono" }, b.text),
              h("td", {}, b.why),
            ),
          ),
        ),
      ),
    );
    if (report.badTotal > report.bad.length)
      parts.push(h("p", { class: "note" }, `Showing the first ${fmt(report.bad.length)}.`));
  }
  return h("div", { class: "sim-csv-report" }, parts);
}
