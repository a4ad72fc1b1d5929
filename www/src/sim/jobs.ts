// The simulator's jobs, run in the engine worker (worker.ts registers them).
// Each one rebuilds the run from its input — the forms' scenario and the
// timeline spec — so a worker that was terminated by a cancel loses nothing,
// and returns only what the page shows (see aggregate.ts).
import { explain, simulate, validateScenario } from "../../../js/src/web.js";
import type { ExplainResult, Outcome, Scenario } from "../../../js/src/types.js";
import type { Progress } from "../engine-client.js";
import {
  deniedConnects,
  eachEvent,
  eventCount,
  featureResults,
  runStats,
  standings,
  type EventsMeta,
} from "./aggregate.js";
import { parseCsvLog } from "./csv.js";
import { eventsText, scenarioText, withSeats } from "./scenario-text.js";
import type {
  CompareInput,
  CompareResult,
  CsvReport,
  JobFailure,
  RunInput,
  RunResult,
  SizingInput,
  SizingResult,
  Standing,
} from "./shared.js";
import { buildTimeline } from "./timeline.js";
import { DEFAULT_START, isoText, parseIso } from "./time.js";

type Report = (p: Progress) => void;

interface Prepared {
  events: string;
  meta: EventsMeta;
  csv: CsvReport | null;
}

const timelineFailure = (message: string, csv: CsvReport | null): JobFailure => ({
  type: "failure",
  where: "timeline",
  error: { code: "invalid-input", message },
  csv,
});

/** Recorded state moves the clock (SPEC "Default times"); only then is it worth asking the engine where it starts. */
function hasRecordedState(s: Scenario): boolean {
  return (
    Object.keys(s.seats ?? {}).length > 0 ||
    (s.directory?.accounts ?? []).some((a) => a.capped && Object.keys(a.capped).length > 0)
  );
}

function prepare(input: RunInput, report: Report): Prepared | JobFailure {
  report({ phase: "building the timeline", done: 0, total: 0 });
  const timeline = buildTimeline(input.scenario, input.timeline);
  if (timeline && "problem" in timeline) return timelineFailure(timeline.problem, timeline.csv);
  const events = eventsText(input.scenario, timeline);
  let startMs = parseIso(DEFAULT_START)!;
  if (hasRecordedState(input.scenario)) {
    const v = validateScenario(scenarioText(input.scenario, "[]"));
    if (v.type === "success") startMs = parseIso(v.summary.start) ?? startMs;
  }
  return {
    events,
    meta: { base: input.scenario.events ?? [], timeline, startMs },
    csv: timeline?.csv ?? null,
  };
}

/** Runs the engine on `text`, reporting its progress under `phase` (scaled into a bigger job by `of`). */
function run(
  text: string,
  report: Report,
  phase: string,
  of = { base: 0, span: 1000, total: 1000 },
): Outcome | { failure: JobFailure["error"] } {
  report({ phase: "reading the scenario", done: of.base, total: of.total });
  const result = simulate(text, {
    onProgress: (done, total) =>
      report({
        phase,
        done: of.base + Math.round((done / Math.max(total, 1)) * of.span),
        total: of.total,
      }),
  });
  if (result.type === "failure") return { failure: result.error };
  return result.outcome;
}

function simRun(input: RunInput, report: Report): RunResult {
  const began = performance.now();
  const prepared = prepare(input, report);
  if ("type" in prepared) return prepared;
  const total = eventCount(prepared.meta);
  const outcome = run(
    scenarioText(input.scenario, prepared.events),
    report,
    `simulating ${total.toLocaleString("en-US")} events`,
  );
  if ("failure" in outcome)
    return { type: "failure", where: "scenario", error: outcome.failure, csv: prepared.csv };
  report({ phase: "counting the results", done: 0, total: 0 });
  const notes: string[] = [];
  const stats = runStats(outcome, prepared.meta);
  if (stats.opsOk + stats.opsFailed > 0) {
    notes.push(
      `The run has ${stats.opsOk + stats.opsFailed} administrative events: the chart follows the connects only, the numbers above are the end state.`,
    );
  }
  return {
    type: "success",
    stats,
    features: featureResults(outcome, input.scenario, prepared.meta),
    csv: prepared.csv,
    ...period(prepared.meta),
    ms: Math.round(performance.now() - began),
    notes,
  };
}

/** When the run's first and last events happen. */
function period(meta: EventsMeta): { first: string | null; last: string | null } {
  let first: number | null = null;
  let last: number | null = null;
  eachEvent(meta, (_i, at) => {
    first ??= at;
    last = at;
  });
  return {
    first: first === null ? null : isoText(first),
    last: last === null ? null : isoText(last),
  };
}

function simSizing(input: SizingInput, report: Report): SizingResult {
  const prepared = prepare(input, report);
  if ("type" in prepared) return prepared;
  if (!(input.feature in (input.scenario.licence?.features ?? {})))
    return timelineFailure(`\`${input.feature}\` is not a feature of the licence`, prepared.csv);
  const notes: string[] = [];
  if ((input.scenario.events ?? []).some((e) => (e as { op?: string }).op === "licence")) {
    notes.push(
      "The scenario changes its licence with a `licence` event: from that event on, the seats it names apply, not the curve's.",
    );
  }
  const points: Extract<SizingResult, { type: "success" }>["points"] = [];
  const n = input.seats.length;
  for (const [k, seats] of input.seats.entries()) {
    const text = scenarioText(withSeats(input.scenario, input.feature, seats), prepared.events);
    const outcome = run(text, report, `${seats.toLocaleString("en-US")} seats (${k + 1} of ${n})`, {
      base: k * 1000,
      span: 1000,
      total: n * 1000,
    });
    if ("failure" in outcome)
      return { type: "failure", where: "scenario", error: outcome.failure, csv: prepared.csv };
    const s = outcome.state.seats[input.feature];
    const capped = [...standings(outcome, input.feature).values()].filter((v) => v === 2).length;
    points.push({
      seats,
      holders: s?.holders.length ?? 0,
      capped,
      waitlisted: s?.waitlist.length ?? 0,
      denied: deniedConnects(outcome, prepared.meta, input.feature),
    });
  }
  return { type: "success", feature: input.feature, points, notes };
}

function simCompare(input: CompareInput, report: Report): CompareResult {
  // Both sides share the directory, so the timeline (and its events text) is the same.
  const prepared = prepare({ scenario: input.a, timeline: input.timeline }, report);
  if ("type" in prepared) return prepared;
  const sides = [] as {
    map: Map<string, Standing>;
    side: Extract<CompareResult, { type: "success" }>["a"];
  }[];
  for (const [k, scenario] of [input.a, input.b].entries()) {
    const outcome = run(
      scenarioText(scenario, prepared.events),
      report,
      `licence ${k ? "B" : "A"}`,
      { base: k * 1000, span: 1000, total: 2000 },
    );
    if ("failure" in outcome)
      return {
        type: "failure",
        where: "scenario",
        error: { ...outcome.failure, message: `${k ? "B" : "A"}: ${outcome.failure.message}` },
        csv: prepared.csv,
      };
    const map = standings(outcome, input.feature);
    let capped = 0;
    for (const v of map.values()) if (v === 2) capped++;
    const seats = outcome.state.seats[input.feature];
    sides.push({
      map,
      side: {
        limit: seats?.limit ?? null,
        holders: seats?.holders.length ?? 0,
        capped,
        waitlisted: seats?.waitlist.length ?? 0,
        denied: deniedConnects(outcome, prepared.meta, input.feature),
      },
    });
  }
  report({ phase: "finding the differences", done: 0, total: 0 });
  const [a, b] = sides as [(typeof sides)[0], (typeof sides)[0]];
  const differ: [string, Standing, Standing][] = [];
  for (const [id, sa] of a.map) {
    const sb = b.map.get(id) ?? 0;
    if (sa !== sb) differ.push([id, sa, sb]);
  }
  for (const [id, sb] of b.map) if (!a.map.has(id)) differ.push([id, 0, sb]);
  // Natural order (user9 before user10) reads best; past 100k rows a plain sort keeps it quick.
  const collator = new Intl.Collator("en", { numeric: true });
  differ.sort(
    differ.length <= 100_000
      ? (x, y) => collator.compare(x[0], y[0])
      : (x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0),
  );
  return {
    type: "success",
    feature: input.feature,
    a: a.side,
    b: b.side,
    accounts: differ.map((d) => d[0]),
    standingA: Uint8Array.from(differ, (d) => d[1]),
    standingB: Uint8Array.from(differ, (d) => d[2]),
  };
}

function simExplain(
  input: RunInput & { account: string; feature: string },
  report: Report,
): ExplainResult | JobFailure {
  const prepared = prepare(input, report);
  if ("type" in prepared) return prepared;
  report({ phase: "replaying the run to explain it", done: 0, total: 0 });
  return explain(scenarioText(input.scenario, prepared.events), input.account, input.feature);
}

/** The scenario file as it runs, timeline included: indented when small enough to read. */
function simExport(
  input: RunInput,
  report: Report,
): { type: "success"; text: string; events: number } | JobFailure {
  const prepared = prepare(input, report);
  if ("type" in prepared) return prepared;
  const text = scenarioText(input.scenario, prepared.events);
  const events = eventCount(prepared.meta);
  return {
    type: "success",
    text: text.length < 5_000_000 ? `${JSON.stringify(JSON.parse(text), null, 2)}\n` : text,
    events,
  };
}

export const simJobs = {
  "sim-run": simRun,
  "sim-sizing": simSizing,
  "sim-compare": simCompare,
  "sim-explain": simExplain,
  "sim-export": simExport,
  /** `{ scenario }` (object or text) → the engine's verdict on a loaded file, before it is run. */
  "sim-validate": (input: { scenario: unknown }) => validateScenario(input.scenario as never),
  /** `{ text }` → the CSV report, so the page can show bad lines as soon as a log is chosen. */
  "sim-csv": (input: { text: string }): CsvReport => parseCsvLog(input.text).report,
} satisfies Record<string, (input: never, report: Report) => unknown>;
