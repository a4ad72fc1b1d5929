// The what-if simulator: build a scenario (or load one), give it a
// connection timeline, run it in the engine worker, and read the results,
// the sizing curve and a side-by-side comparison. Everything runs in this
// browser; the address holds the forms so a link reproduces them.
//
// This module wires the parts together and owns the state; each part is
// its own module (forms, timeline, results, sizing, compare, url-state).
import type { Route, Unmount } from "../main.js";
import { runJob } from "../engine-client.js";
import type { ExplainResult, ValidateResult } from "../../../js/src/types.js";
import { errorBox, h, replace } from "../ui/dom.js";
import { count } from "../ui/format.js";
import { ProblemSlots, button, type FormContext } from "./controls.js";
import { compareView } from "./compare-view.js";
import {
  accountTotal,
  compareScenario,
  engineSection,
  featureNames,
  fromScenario,
  sizingSeats,
  toScenario,
  toTimeline,
  type Problem,
  type Section,
  type SimState,
} from "./draft.js";
import { filePanel } from "./file-panel.js";
import { accountsPanel, loadedPanel } from "./form-accounts.js";
import { domainsPanel, serverPanel } from "./form-directory.js";
import { licencePanel, policyPanel } from "./form-licence.js";
import { axigenExample, defaultState } from "./presets.js";
import { resultsView, type ResultsView } from "./results.js";
import { Runner } from "./runner.js";
import type {
  CompareResult,
  CsvReport,
  JobFailure,
  RunInput,
  RunResult,
  SizingResult,
} from "./shared.js";
import { sizingView } from "./sizing-view.js";
import { Tabs } from "./tabs.js";
import { timelinePanel } from "./timeline-form.js";
import { decodeState, linkFor } from "./url-state.js";

const TAB_OF: Record<Section, string> = {
  file: "scenario",
  licence: "scenario",
  policy: "scenario",
  server: "scenario",
  domains: "scenario",
  generate: "scenario",
  accounts: "scenario",
  events: "scenario",
  recorded: "scenario",
  timeline: "timeline",
  sizing: "sizing",
  compare: "compare",
};
const TAB_IDS = ["scenario", "timeline", "results", "sizing", "compare"];

export function mountSimulator(
  root: HTMLElement,
  route: Route,
): { unmount?: Unmount; update?: (route: Route) => void } {
  let state: SimState = defaultState();
  let encoded = "";
  const runner = new Runner();
  const slots = new ProblemSlots();
  const routeError = h("div", { "data-slot": "link" });
  const runProblems = h("div", { "data-slot": "run" });
  const linkNote = h("p", { class: "note", "data-link-note": "" });

  // ---- the state and the address ------------------------------------------
  let urlTimer = 0;
  let checkFrame = 0;
  const writeUrl = () => {
    const link = linkFor(state);
    encoded = link.s;
    const tab = tabs.current && tabs.current !== "scenario" ? `/${tabs.current}` : "";
    history.replaceState(null, "", link.s ? `#/sim${tab}?s=${link.s}` : `#/sim${tab}`);
    linkNote.textContent = link.omitted ? `Link: ${link.omitted}.` : "";
  };
  const localProblems = (): Problem[] => [
    ...toScenario(state.draft).problems,
    ...toTimeline(state.timeline, state.draft).problems,
  ];

  const ctx: FormContext = {
    get state() {
      return state;
    },
    changed(structural = false) {
      if (structural) drawForms();
      else timeline.refresh();
      if (results) stale.hidden = false;
      clearTimeout(urlTimer);
      urlTimer = window.setTimeout(writeUrl, 300);
      // The forms' own checks are cheap: once per frame, so problems come and go as you type.
      cancelAnimationFrame(checkFrame);
      checkFrame = requestAnimationFrame(() => slots.setLocal(localProblems()));
    },
    slots,
  };

  // ---- the jobs -------------------------------------------------------------
  /** The run's input from the forms, or null after showing what stops it, where it is. */
  const inputOrShow = (): { input: RunInput; accountLines: number[] } | null => {
    const built = toScenario(state.draft);
    const timelineSpec = toTimeline(state.timeline, state.draft);
    const problems = [...built.problems, ...timelineSpec.problems];
    slots.setLocal(problems);
    slots.setEngine([]);
    if (problems.length) {
      showRunProblems(problems);
      return null;
    }
    replace(runProblems);
    return {
      input: { scenario: built.scenario, timeline: timelineSpec.spec },
      accountLines: built.accountLines,
    };
  };

  /** A summary above the tabs, with a way to each problem; the problems themselves are at their fields. */
  const showRunProblems = (problems: Problem[]) => {
    const first = problems[0]!;
    replace(
      runProblems,
      errorBox(
        `Nothing was run: ${count(problems.length, "problem")} to fix first. ${first.message}`,
      ),
      button(`Go to ${TAB_OF[first.section]} › ${first.section}`, () => goTo(first.section)),
    );
    goTo(first.section, false);
  };
  const goTo = (section: Section, focus = true) => {
    tabs.select(TAB_OF[section]);
    const slot = slots.slot(section);
    if (focus && slot.isConnected) {
      slot.tabIndex = -1;
      slot.focus();
    }
    slot.scrollIntoView({ block: "center" });
  };
  /** A job's refusal, at the section it concerns. */
  const showFailure = (f: JobFailure, accountLines: number[]) => {
    const problem: Problem =
      f.where === "timeline"
        ? { section: "timeline", message: f.error.message }
        : engineSection(f.error.message, accountLines);
    slots.setEngine([problem]);
    showRunProblems([problem]);
    runner.say(
      `The engine refused the ${f.where === "timeline" ? "timeline" : "scenario"}: nothing was run. See below.`,
      "refused",
    );
  };
  const timelineFeature = () =>
    (state.timeline.kind !== "none" && state.timeline.feature) ||
    featureNames(state.draft)[0] ||
    "";

  let results: ResultsView | null = null;
  let lastRun: { input: RunInput; csvName: string } | null = null;
  const stale = h(
    "p",
    { class: "note sim-stale", hidden: true },
    "The scenario changed since this run: run again to update the results.",
  );
  const resultsHost = h(
    "div",
    {},
    h(
      "p",
      { class: "note" },
      "No run yet: build a scenario (or press Axigen example), then Run simulation.",
    ),
  );

  const runSimulation = async () => {
    const ready = inputOrShow();
    if (!ready) return;
    const r = await runner.run<RunResult>("sim-run", ready.input, "Simulation");
    if (!r.ok) {
      if (!r.cancelled) replace(runProblems, errorBox(`The simulation failed: ${r.message}`));
      return;
    }
    if (r.value.type === "failure") return showFailure(r.value, ready.accountLines);
    results?.destroy();
    lastRun = { input: ready.input, csvName: state.timeline.csvName || "the log" };
    results = resultsView(r.value, lastRun.csvName, {
      starter: (b) => runner.starter(b),
      explain: async (account, feature) => {
        const x = await runner.run<ExplainResult | JobFailure>(
          "sim-explain",
          { ...lastRun!.input, account, feature },
          `Explaining ${account}`,
        );
        return x.ok ? x.value : x.cancelled ? null : x.message;
      },
    });
    stale.hidden = true;
    replace(resultsHost, results.element);
    tabs.select("results");
  };

  const checkCsv = async (text: string): Promise<CsvReport | null> => {
    try {
      return await runJob<CsvReport>("sim-csv", { text });
    } catch {
      return null;
    }
  };

  const sizing = sizingView(ctx, {
    starter: (b) => runner.starter(b),
    run: async () => {
      const ready = inputOrShow();
      const seats = sizingSeats(state.sizing);
      if (seats.problems.length) {
        slots.setLocal([...slots.all(), ...seats.problems]);
        showRunProblems(seats.problems);
      }
      if (!ready || seats.problems.length) return null;
      const r = await runner.run<SizingResult>(
        "sim-sizing",
        { ...ready.input, feature: timelineFeature(), seats: seats.seats },
        "Sizing curve",
      );
      if (!r.ok) return null;
      if (r.value.type === "failure") {
        showFailure(r.value, ready.accountLines);
        return null;
      }
      return r.value;
    },
  });

  const compare = compareView(ctx, {
    starter: (b) => runner.starter(b),
    feature: timelineFeature,
    run: async () => {
      const ready = inputOrShow();
      if (!ready) return null;
      const b = compareScenario(ready.input.scenario, state.compare, timelineFeature());
      if (b.problems.length) {
        slots.setLocal(b.problems);
        showRunProblems(b.problems);
        return null;
      }
      const r = await runner.run<CompareResult>(
        "sim-compare",
        {
          a: ready.input.scenario,
          b: b.scenario,
          timeline: ready.input.timeline,
          feature: timelineFeature(),
        },
        "Comparison",
      );
      if (!r.ok) return null;
      if (r.value.type === "failure") {
        showFailure(r.value, ready.accountLines);
        return null;
      }
      return r.value;
    },
  });

  // ---- loading and exporting files ------------------------------------------
  const file = filePanel({
    slot: slots.slot("file"),
    starter: (b) => runner.starter(b),
    load: async (json, name) => {
      state.draft = fromScenario(json);
      const features = featureNames(state.draft);
      // A file with its own events (an export, a recorded day) needs no generated timeline on top.
      if (state.draft.events.length) state.timeline.kind = "none";
      // Without events of its own, the generated timeline starts as "everyone connects once".
      else if (state.timeline.kind === "generated")
        state.timeline.users = String(accountTotal(state.draft));
      if (!features.includes(state.timeline.feature)) state.timeline.feature = features[0] ?? "";
      const a = state.draft.licence.features.find((f) => f.name === state.timeline.feature);
      Object.assign(state.compare, state.draft.policy, {
        seats: a?.seats ?? "",
        mailboxes: state.draft.licence.mailboxes,
      });
      slots.setEngine([]);
      ctx.changed(true);
      let verdict: ValidateResult;
      try {
        verdict = await runJob<ValidateResult>("sim-validate", { scenario: json });
      } catch {
        return `Loaded ${name}; it could not be checked (the engine was stopped). Run it to check it.`;
      }
      if (verdict.type === "failure") {
        const where = engineSection(verdict.error.message, toScenario(state.draft).accountLines);
        slots.setEngine(
          where.section === "file"
            ? [where]
            : [
                where,
                {
                  section: "file",
                  message: `The engine refused ${name}: ${verdict.error.message}`,
                },
              ],
        );
        return `Loaded ${name} into the forms, with a problem to fix (shown in red).`;
      }
      const s = verdict.summary;
      return `Loaded ${name}: ${count(s.domains, "domain")}, ${count(s.accounts, "account")}, ${count(s.events, "event")}${state.draft.events.length ? " (the timeline was set to none: the file has its own events)" : ""}.`;
    },
    exportText: async () => {
      const ready = inputOrShow();
      if (!ready) return null;
      const r = await runner.run<{ type: "success"; text: string; events: number } | JobFailure>(
        "sim-export",
        ready.input,
        "Export",
      );
      if (!r.ok) return null;
      if (r.value.type === "failure") {
        showFailure(r.value, ready.accountLines);
        return null;
      }
      return r.value;
    },
  });

  // ---- the page -------------------------------------------------------------
  const scenarioForms = h("div", {});
  const timelineHost = h("div", {});
  let timeline = timelinePanel(ctx, { checkCsv });
  const drawForms = () => {
    // Redrawing replaces the controls: put the focus back on the control at the same place.
    const active = document.activeElement;
    const focusables = () => [
      ...root.querySelectorAll<HTMLElement>("input, select, textarea, button"),
    ];
    const at =
      active instanceof HTMLElement && root.contains(active) ? focusables().indexOf(active) : -1;
    replace(
      scenarioForms,
      licencePanel(ctx),
      policyPanel(ctx),
      serverPanel(ctx),
      domainsPanel(ctx),
      accountsPanel(ctx),
      loadedPanel(ctx),
    );
    timeline = timelinePanel(ctx, { checkCsv });
    replace(timelineHost, timeline.element);
    sizing.refresh();
    compare.refresh();
    if (at >= 0 && !root.contains(document.activeElement))
      focusables()[Math.min(at, focusables().length - 1)]?.focus();
  };

  const tabs = new Tabs(
    "Simulator views",
    [
      { id: "scenario", label: "Scenario", panel: h("div", {}, file, scenarioForms) },
      { id: "timeline", label: "Timeline", panel: timelineHost },
      { id: "results", label: "Results", panel: h("div", {}, stale, resultsHost) },
      { id: "sizing", label: "Sizing curve", panel: sizing.element },
      { id: "compare", label: "Compare", panel: compare.element },
    ],
    "sim",
  );
  tabs.onSelect = () => writeUrl();

  const runButton = runner.starter(
    h("button", { type: "button", class: "sim-run", "data-action": "run" }, "Run simulation"),
  );
  runButton.addEventListener("click", () => void runSimulation());
  const preset = button(
    "Axigen example",
    () => {
      state = axigenExample();
      slots.setEngine([]);
      replace(runProblems);
      ctx.changed(true);
    },
    {
      "data-action": "preset-axigen",
      title: "500 accounts, 200 ActiveSync seats, everyone connects once",
    },
  );
  const copyLink = button(
    "Copy link",
    async () => {
      writeUrl();
      try {
        await navigator.clipboard.writeText(location.href);
        linkNote.textContent = "Link copied: it reopens these forms and this timeline.";
      } catch {
        linkNote.textContent = `Copy this link: ${location.href}`;
      }
    },
    { "data-action": "copy-link" },
  );

  root.append(
    h(
      "div",
      { class: "sim" },
      h("h1", {}, "What-if simulator"),
      h(
        "p",
        { class: "note sim-intro" },
        "Build a directory and a licence, replay who connects when, and see who gets a seat and who is capped — before buying seats or changing a policy. Everything runs in this browser.",
      ),
      routeError,
      h(
        "div",
        { class: "panel sim-actions" },
        h("div", { class: "row" }, runButton, preset, copyLink),
        runner.element,
        runProblems,
        linkNote,
      ),
      tabs.list,
      tabs.panels,
    ),
  );

  // ---- the route --------------------------------------------------------------
  const fromRoute = (r: Route) => {
    const s = r.query.get("s");
    if (s !== null && s !== encoded) {
      const decoded = decodeState(s);
      if ("error" in decoded) {
        replace(
          routeError,
          errorBox(decoded.error),
          h("p", { class: "note" }, "The forms show the default scenario instead."),
        );
      } else {
        replace(routeError);
        state = decoded.state;
        encoded = s;
        drawForms();
        slots.setLocal(localProblems());
      }
    }
    const tab = r.path[0];
    tabs.select(tab && TAB_IDS.includes(tab) ? tab : tabs.current || "scenario");
  };
  drawForms();
  fromRoute(route);
  if (!route.query.get("s")) writeUrl();

  return {
    update: fromRoute,
    unmount: () => {
      runner.cancel();
      results?.destroy();
      sizing.destroy();
      clearTimeout(urlTimer);
      cancelAnimationFrame(checkFrame);
    },
  };
}
