// What the simulator's page and its worker jobs (jobs.ts) send each other.
// Types only: both bundles import this file and no code comes with it.
// Big things (the account lists of a million-account run) cross as plain
// string arrays; everything else is counts and short series.
import type { ErrorBody, Scenario } from "../../../js/src/types.js";

/** How the connection timeline is made; the worker turns it into `connect` events appended to the scenario's own. */
export type TimelineSpec =
  | { kind: "none" }
  | {
      kind: "generated";
      feature: string;
      /** Distinct accounts that connect, drawn from the directory in a seeded random order. */
      users: number;
      /** Connections per account (the first claims or is capped, the rest find the seat held or the cap). */
      repeats: number;
      days: number;
      /** First instant of the period, ISO-8601 UTC. */
      start: string;
      seed: number;
    }
  | { kind: "csv"; feature: string; text: string; name: string };

/** One line of a CSV log that could not be used. `line` counts from 1, the header included. */
export interface CsvProblem {
  line: number;
  text: string;
  why: string;
}

export interface CsvReport {
  header: boolean;
  /** Lines turned into connects. */
  rows: number;
  /** The first problems (at most 200) and how many there were in all. */
  bad: CsvProblem[];
  badTotal: number;
  distinct: number;
  first: string | null;
  last: string | null;
  /** Lines that were earlier than the line before them (the log is replayed in time order). */
  reordered: number;
}

/** Everything a job needs to rebuild the run: the scenario as the forms give it and the timeline. */
export interface RunInput {
  scenario: Scenario;
  timeline: TimelineSpec;
}

/** A line chart's data: time in seconds since 1970 and one value per series. */
export interface Series {
  t: number[];
  seats: number[];
  capped: number[];
  waitlisted: number[];
}

export interface FeatureResult {
  feature: string;
  limit: number | null;
  /** Claim order, as the ledger keeps it. */
  holders: string[];
  capped: string[];
  /** Arrival order. */
  waitlisted: string[];
  series: Series;
}

export interface RunStats {
  accounts: number;
  events: number;
  /** Of `events`, how many the timeline added. */
  timelineEvents: number;
  connects: number;
  allowed: number;
  /** Connect reasons → how many. */
  reasons: Record<string, number>;
  /** Other ops: applied, refused (by error code). */
  opsOk: number;
  opsFailed: number;
  errors: Record<string, number>;
}

/** Why a job could not run: a scenario the engine refused (the message names the field) or a timeline problem. */
export interface JobFailure {
  type: "failure";
  where: "scenario" | "timeline";
  error: ErrorBody;
  csv: CsvReport | null;
}

export interface RunSuccess {
  type: "success";
  stats: RunStats;
  features: FeatureResult[];
  csv: CsvReport | null;
  /** Times of the first and last events (null without events). */
  first: string | null;
  last: string | null;
  /** Milliseconds the worker spent. */
  ms: number;
  notes: string[];
}
export type RunResult = RunSuccess | JobFailure;

export interface SizingInput extends RunInput {
  feature: string;
  seats: number[];
}
export interface SizingPoint {
  seats: number;
  holders: number;
  capped: number;
  waitlisted: number;
  /** Connects denied by the cap (capped or waitlisted), repeats included. */
  denied: number;
}
export type SizingResult =
  | { type: "success"; feature: string; points: SizingPoint[]; notes: string[] }
  | JobFailure;

/** An account's standing with one feature at the end of a run. */
export const STANDINGS = ["no seat", "holder", "capped", "waitlisted"] as const;
export type Standing = 0 | 1 | 2 | 3;

export interface CompareInput {
  a: Scenario;
  b: Scenario;
  timeline: TimelineSpec;
  feature: string;
}
export interface CompareSide {
  limit: number | null;
  holders: number;
  capped: number;
  waitlisted: number;
  denied: number;
}
export type CompareResult =
  | {
      type: "success";
      feature: string;
      a: CompareSide;
      b: CompareSide;
      /** Accounts whose standing differs, with their standing in A and in B (indexes into STANDINGS). */
      accounts: string[];
      standingA: Uint8Array;
      standingB: Uint8Array;
    }
  | JobFailure;

export interface ExplainInput extends RunInput {
  account: string;
  feature: string;
}
