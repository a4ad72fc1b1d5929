// Who connects when: no timeline (the scenario's own events only), a
// generated one (N distinct accounts over D days in a seeded random order),
// or a CSV log of `account,timestamp`. The timeline's connects run after the
// scenario's own events.
import { fileDrop } from "../ui/file-drop.js";
import { field, h, replace } from "../ui/dom.js";
import { fmt } from "../ui/format.js";
import { accountTotal, featureNames, type TimelineDraft } from "./draft.js";
import { button, numberInput, selectInput, type FormContext } from "./controls.js";
import { csvReportView } from "./csv-report.js";
import type { CsvReport } from "./shared.js";

export interface TimelineHooks {
  /** Checks a log in the worker; null when the check was interrupted. */
  checkCsv(text: string): Promise<CsvReport | null>;
}

/** The last log checked and its report (one at a time: the one the forms hold). */
let checked: { text: string; report: CsvReport } | null = null;

const KINDS = [
  ["none", "No timeline — only the scenario's own events"],
  ["generated", "Generated — accounts connect at random moments"],
  ["csv", "From a CSV log — account,timestamp per line"],
] as const;

export function timelinePanel(
  ctx: FormContext,
  hooks: TimelineHooks,
): { element: HTMLElement; refresh(): void } {
  const t: TimelineDraft = ctx.state.timeline;
  const d = ctx.state.draft;
  const features = featureNames(d);
  const total = h("small", { class: "hint" });
  const refresh = () => {
    total.textContent = `Of ${fmt(accountTotal(d))} accounts in the directory.`;
  };
  refresh();

  const kinds = h(
    "fieldset",
    { class: "sim-kinds" },
    h("legend", {}, "Source of the connections"),
    ...KINDS.map(([value, label]) => {
      const radio = h("input", { type: "radio", name: "sim-timeline-kind", value });
      radio.checked = t.kind === value;
      radio.addEventListener("change", () => {
        t.kind = value;
        ctx.changed(true);
      });
      return h("label", { class: "sim-check" }, radio, h("span", {}, label));
    }),
  );

  const feature = field(
    "Feature the accounts connect to",
    selectInput(
      features.map((f) => [f, f] as const),
      t.feature,
      (v) => {
        t.feature = v;
        ctx.changed();
      },
    ),
  );

  let body: HTMLElement;
  if (t.kind === "generated") {
    const start = h("input", { type: "date" });
    start.value = t.start.slice(0, 10);
    start.addEventListener("input", () => {
      t.start = start.value;
      ctx.changed();
    });
    const users = field(
      "Accounts that connect",
      numberInput(t.users, (v) => {
        t.users = v;
        ctx.changed();
      }),
    );
    users.append(total);
    body = h(
      "div",
      { class: "row" },
      users,
      field(
        "Connections per account",
        numberInput(t.repeats, (v) => {
          t.repeats = v;
          ctx.changed();
        }),
        "1: each connects once",
      ),
      field(
        "Over how many days",
        numberInput(t.days, (v) => {
          t.days = v;
          ctx.changed();
        }),
      ),
      field("Starting (UTC)", start),
      field(
        "Random seed",
        numberInput(t.seed, (v) => {
          t.seed = v;
          ctx.changed();
        }),
        "Same seed, same order",
      ),
    );
  } else if (t.kind === "csv") {
    const report = h("div", { "aria-live": "polite" });
    const check = async (text: string, name: string) => {
      // The panel is redrawn with the forms: a log already checked is not read again.
      if (checked?.text !== text) {
        replace(report, h("p", { class: "note" }, `Checking ${name}…`));
        const r = await hooks.checkCsv(text);
        checked = r ? { text, report: r } : null;
      }
      replace(
        report,
        checked
          ? csvReportView(checked.report, name)
          : h(
              "p",
              { class: "note" },
              "The check was interrupted; the log will be checked when you run.",
            ),
      );
    };
    const use = async (text: string, name: string) => {
      t.csvText = text;
      t.csvName = name;
      ctx.changed();
      await check(text, name);
    };
    const { input, drop } = fileDrop({
      accept: ".csv,.txt,.log,text/csv,text/plain",
      dropText: "…or drop a CSV log here",
      name: "csv",
      onFile: use,
    });
    const paste = h("textarea", {
      rows: 6,
      spellcheck: "false",
      placeholder: "account,timestamp\nuser1@example.com,2026-01-05T09:00:00Z",
    });
    if (t.csvName === "pasted lines") paste.value = t.csvText;
    body = h(
      "div",
      {},
      h("div", { class: "row" }, field("Load a CSV log", input), drop),
      field(
        "…or paste log lines",
        paste,
        "A first line that is not data (account,timestamp) is taken as the header. Times are ISO-8601; without a zone they are UTC.",
      ),
      button("Use pasted lines", () => void use(paste.value, "pasted lines"), {
        "data-action": "use-csv",
      }),
      t.csvText && t.csvName !== "pasted lines"
        ? h("p", { class: "note" }, `Using ${t.csvName}.`)
        : null,
      report,
    );
    // A log already chosen (from a link) is checked again so its report shows.
    if (t.csvText) void check(t.csvText, t.csvName || "the log");
  } else {
    body = h(
      "p",
      { class: "note" },
      "Only the scenario's own events run (load a file with events, or choose a timeline).",
    );
  }

  const element = h(
    "section",
    { class: "panel", "aria-labelledby": "sim-h-timeline" },
    h("h2", { id: "sim-h-timeline" }, "Connection timeline"),
    kinds,
    t.kind !== "none" ? feature : null,
    body,
    ctx.slots.slot("timeline"),
  );
  return { element, refresh };
}
