// Reads a simulation's outcome in the worker and keeps only what the page
// shows: counts, the holder / capped / waitlisted lists as strings, and the
// seats-over-time series (at most ~1,200 points whatever the run's size).
import type { Decision, Outcome, Scenario } from "../../../js/src/types.js";
import type { FeatureResult, RunStats, Series, Standing } from "./shared.js";
import type { Timeline } from "./timeline.js";
import { parseIso } from "./time.js";

/** The events a run had, for telling each result's time and feature: the scenario's own, then the timeline's. */
export interface EventsMeta {
  base: unknown[];
  timeline: Timeline | null;
  /** When the first event without `at` happens. */
  startMs: number;
}

export const MAX_POINTS = 1200;

type Visit = (i: number, at: number, connect: { account: string; feature: string } | null) => void;

/** Calls `visit` for every event with its time (SPEC "Default times": no `at` = one second after the previous). */
export function eachEvent(meta: EventsMeta, visit: Visit): void {
  let clock = meta.startMs - 1000;
  let i = 0;
  for (const raw of meta.base) {
    const e = (raw ?? {}) as Record<string, unknown>;
    const at = typeof e.at === "string" ? parseIso(e.at) : null;
    clock = at ?? clock + 1000;
    const connect =
      e.op === "connect" && typeof e.feature === "string"
        ? { account: String(e.account ?? ""), feature: e.feature }
        : null;
    visit(i++, clock, connect);
  }
  const t = meta.timeline;
  if (t) {
    for (let k = 0; k < t.accounts.length; k++) {
      clock = t.times[k]!;
      visit(i++, clock, { account: t.accounts[k]!, feature: t.feature });
    }
  }
}

export function eventCount(meta: EventsMeta): number {
  return meta.base.length + (meta.timeline?.accounts.length ?? 0);
}

export function runStats(outcome: Outcome, meta: EventsMeta): RunStats {
  const stats: RunStats = {
    accounts: 0,
    events: outcome.events.length,
    timelineEvents: meta.timeline?.accounts.length ?? 0,
    connects: 0,
    allowed: 0,
    reasons: {},
    opsOk: 0,
    opsFailed: 0,
    errors: {},
  };
  for (const _ in outcome.state.accounts) stats.accounts++;
  for (const r of outcome.events) {
    if ("allowed" in r) {
      stats.connects++;
      if (r.allowed) stats.allowed++;
      stats.reasons[r.reason] = (stats.reasons[r.reason] ?? 0) + 1;
    } else if (r.ok) stats.opsOk++;
    else {
      stats.opsFailed++;
      const code = r.error?.code ?? "unknown";
      stats.errors[code] = (stats.errors[code] ?? 0) + 1;
    }
  }
  return stats;
}

/** Accounts whose setting of `feature` the cap disabled (R5), in the outcome's order. */
export function cappedAccounts(outcome: Outcome, feature: string): string[] {
  const out: string[] = [];
  const accounts = outcome.state.accounts;
  for (const id in accounts) if (accounts[id]?.[feature]?.capped) out.push(id);
  return out;
}

/** Counters at the start, from the recorded state a loaded scenario may carry. */
function recordedCounts(
  scenario: Scenario,
  feature: string,
): { seats: number; capped: Set<string>; waiting: Set<string> } {
  const seats = scenario.seats?.[feature];
  const capped = new Set<string>();
  for (const a of scenario.directory?.accounts ?? [])
    if (a.capped?.[feature]) capped.add(String(a.id).toLowerCase());
  return {
    seats: seats?.holders?.length ?? 0,
    capped,
    waiting: new Set((seats?.waitlist ?? []).map((w) => w.toLowerCase())),
  };
}

/**
 * Seats held and accounts turned away over time, per feature. Seats follow the
 * connects that claimed one; accounts capped (or waitlisted) count each
 * account once, from its first denied connect. Admin events are not replayed
 * here (the page says so when a run has any).
 */
export function seriesByFeature(
  outcome: Outcome,
  scenario: Scenario,
  meta: EventsMeta,
  features: string[],
): Map<string, Series> {
  const state = new Map(
    features.map((f) => [
      f,
      {
        ...recordedCounts(scenario, f),
        series: { t: [], seats: [], capped: [], waitlisted: [] } as Series,
      },
    ]),
  );
  const total = outcome.events.length;
  const step = Math.max(1, Math.ceil(total / MAX_POINTS));
  let last = -Infinity;
  const sample = (at: number) => {
    // uPlot wants x ascending: a scenario whose `at`s go back in time is drawn at the latest time so far.
    last = Math.max(last, at);
    for (const s of state.values()) {
      s.series.t.push(last / 1000);
      s.series.seats.push(s.seats);
      s.series.capped.push(s.capped.size);
      s.series.waitlisted.push(s.waiting.size);
    }
  };
  let first = true;
  eachEvent(meta, (i, at, connect) => {
    if (first) {
      sample(at);
      first = false;
    }
    const result = outcome.events[i];
    if (connect && result && "allowed" in result) {
      const s = state.get(connect.feature);
      const reason = (result as Decision).reason;
      if (s && reason === "seat-claimed") s.seats++;
      else if (s && reason === "capped") s.capped.add(connect.account.toLowerCase());
      else if (s && reason === "waitlisted") s.waiting.add(connect.account.toLowerCase());
    }
    if (i % step === step - 1 || i === total - 1) sample(at);
  });
  return new Map([...state].map(([f, s]) => [f, s.series]));
}

export function featureResults(
  outcome: Outcome,
  scenario: Scenario,
  meta: EventsMeta,
): FeatureResult[] {
  const features = Object.keys(outcome.state.seats);
  const series = seriesByFeature(outcome, scenario, meta, features);
  return features.map((feature) => {
    const seats = outcome.state.seats[feature]!;
    return {
      feature,
      limit: seats.limit,
      holders: seats.holders,
      capped: cappedAccounts(outcome, feature),
      waitlisted: seats.waitlist,
      series: series.get(feature)!,
    };
  });
}

/** Connects of `feature` denied by the cap (capped or waitlisted). */
export function deniedConnects(outcome: Outcome, meta: EventsMeta, feature: string): number {
  let denied = 0;
  eachEvent(meta, (i, _at, connect) => {
    const r = outcome.events[i];
    if (
      connect?.feature === feature &&
      r &&
      "allowed" in r &&
      (r.reason === "capped" || r.reason === "waitlisted")
    )
      denied++;
  });
  return denied;
}

/** Every account that holds, is capped or waits for `feature` → its standing (absent = no seat). */
export function standings(outcome: Outcome, feature: string): Map<string, Standing> {
  const map = new Map<string, Standing>();
  const seats = outcome.state.seats[feature];
  for (const id of seats?.holders ?? []) map.set(id, 1);
  for (const id of cappedAccounts(outcome, feature)) map.set(id, 2);
  for (const id of seats?.waitlist ?? []) if (!map.has(id)) map.set(id, 3);
  return map;
}
