// Turns a timeline spec into connect events (in the worker): either N
// distinct accounts of the directory, drawn in a seeded random order, each
// connecting `repeats` times at random moments spread over D days; or the
// good lines of a CSV log. The result is two parallel arrays, so a million
// connects cost two arrays and not a million objects.
import type { Scenario } from "../../../js/src/types.js";
import { parseCsvLog } from "./csv.js";
import { mulberry32, partialShuffle } from "./prng.js";
import type { CsvReport, TimelineSpec } from "./shared.js";
import { DAY_MS, parseIso } from "./time.js";

export interface Timeline {
  feature: string;
  accounts: string[];
  /** Milliseconds since 1970, ascending. */
  times: Float64Array;
  csv: CsvReport | null;
}

/** At most this many connects: beyond it the scenario text would outgrow what a browser tab can hold. */
export const MAX_TIMELINE_EVENTS = 5_000_000;

/** The directory's accounts, addressable by index without building every id: listed ones first, then each `generate` block. */
export function directoryIndex(scenario: Scenario): { total: number; id: (i: number) => string } {
  const listed = (scenario.directory?.accounts ?? []).map((a) => String(a.id).toLowerCase());
  const blocks = (scenario.directory?.generate ?? []).map((g) => ({
    count: Math.max(0, Math.floor(Number(g.count) || 0)),
    prefix: String(g.prefix),
    domain: String(g.domain),
  }));
  const starts: number[] = [];
  let total = listed.length;
  for (const b of blocks) {
    starts.push(total);
    total += b.count;
  }
  return {
    total,
    id: (i) => {
      if (i < listed.length) return listed[i]!;
      let k = blocks.length - 1;
      while (starts[k]! > i) k--;
      const b = blocks[k]!;
      return `${b.prefix}${i - starts[k]! + 1}@${b.domain}`.toLowerCase();
    },
  };
}

/** The timeline's connects, or a sentence saying why there can't be any. */
export function buildTimeline(
  scenario: Scenario,
  spec: TimelineSpec,
): Timeline | { problem: string; csv: CsvReport | null } | null {
  if (spec.kind === "none") return null;
  if (spec.kind === "csv") {
    const log = parseCsvLog(spec.text);
    if (log.report.rows > MAX_TIMELINE_EVENTS)
      return {
        problem: `the log has ${log.report.rows} connects; at most ${MAX_TIMELINE_EVENTS} fit in one run`,
        csv: log.report,
      };
    return { feature: spec.feature, accounts: log.accounts, times: log.times, csv: log.report };
  }
  const directory = directoryIndex(scenario);
  const { users, repeats, days, seed } = spec;
  const start = parseIso(spec.start);
  if (start === null)
    return { problem: `the start \`${spec.start}\` is not a date such as 2026-01-05`, csv: null };
  if (!Number.isInteger(users) || users < 0)
    return { problem: "the number of accounts must be a whole number ≥ 0", csv: null };
  if (users > directory.total)
    return {
      problem: `${users} accounts can't connect: the directory has ${directory.total}`,
      csv: null,
    };
  if (!Number.isInteger(repeats) || repeats < 1)
    return { problem: "connections per account must be a whole number ≥ 1", csv: null };
  if (users * repeats > MAX_TIMELINE_EVENTS)
    return {
      problem: `${users * repeats} connects is more than the ${MAX_TIMELINE_EVENTS} one run can hold`,
      csv: null,
    };
  if (!(days > 0)) return { problem: "the period must be more than 0 days", csv: null };

  const random = mulberry32(seed);
  // Which accounts connect: a uniform sample of the directory in random order.
  const order = new Int32Array(directory.total);
  for (let i = 0; i < order.length; i++) order[i] = i;
  partialShuffle(order, users, random);
  // Each of them `repeats` times, in a random order over the period.
  const slots = new Int32Array(users * repeats);
  for (let i = 0; i < slots.length; i++) slots[i] = order[i % users]!;
  if (repeats > 1) partialShuffle(slots, slots.length, random);
  // Random moments, whole seconds, sorted: the k-th connect happens at the k-th moment.
  const times = new Float64Array(slots.length);
  const span = days * DAY_MS;
  for (let i = 0; i < times.length; i++)
    times[i] = start + Math.floor((random() * span) / 1000) * 1000;
  times.sort();
  const accounts = new Array<string>(slots.length);
  for (let i = 0; i < slots.length; i++) accounts[i] = directory.id(slots[i]!);
  return { feature: spec.feature, accounts, times, csv: null };
}
