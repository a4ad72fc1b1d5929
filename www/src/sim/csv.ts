// A connection log in CSV: one `account,timestamp` per line, the way an
// administrator exports it from mail-server logs. A header line is
// recognised, blank and `#` lines are skipped, and every line that can't be
// used is reported with its line number — never silently dropped.
import type { CsvProblem, CsvReport } from "./shared.js";
import { isoText, parseIso } from "./time.js";

export interface CsvLog {
  /** One entry per good line, in time order. */
  accounts: string[];
  times: Float64Array;
  report: CsvReport;
}

const MAX_REPORTED = 200;

/** Splits one line on `,` `;` or tab, dropping surrounding quotes and spaces. A trailing empty field (`a,b,`) is ignored. */
function fields(line: string): string[] {
  const parts = line.split(/[,;\t]/).map((f) =>
    f
      .trim()
      .replace(/^"(.*)"$/, "$1")
      .trim(),
  );
  if (parts.length > 2 && parts[parts.length - 1] === "") parts.pop();
  return parts;
}

/** Why `id` can't be an account id, or null when it can (the engine has the last word on the domain). */
export function accountProblem(id: string): string | null {
  if (id === "") return "the account is empty";
  if (id.length > 254) return `the account is longer than 254 characters (${id.length})`;
  const at = id.indexOf("@");
  if (at <= 0 || at !== id.lastIndexOf("@") || at === id.length - 1 || /\s/.test(id))
    return `\`${id}\` is not an account id (local@domain)`;
  return null;
}

export function parseCsvLog(text: string): CsvLog {
  const lines = text.split(/\r\n|\n|\r/);
  const accounts: string[] = [];
  const times: number[] = [];
  const bad: CsvProblem[] = [];
  let badTotal = 0;
  let header = false;
  let seenContent = false;
  const problem = (line: number, raw: string, why: string) => {
    badTotal++;
    if (bad.length < MAX_REPORTED)
      bad.push({ line, text: raw.length > 120 ? `${raw.slice(0, 117)}…` : raw, why });
  };
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const f = fields(trimmed);
    const first = !seenContent;
    seenContent = true;
    const [account = "", stamp = ""] = f;
    // A header is a first line that is neither an account nor a time: `account,timestamp`, `user;time`, …
    if (first && !account.includes("@") && parseIso(stamp) === null) {
      header = true;
      continue;
    }
    if (f.length !== 2) {
      problem(i + 1, raw, `expected 2 fields (account,timestamp), found ${f.length}`);
      continue;
    }
    const why = accountProblem(account);
    if (why) {
      problem(i + 1, raw, why);
      continue;
    }
    const at = parseIso(stamp);
    if (at === null) {
      problem(
        i + 1,
        raw,
        stamp === ""
          ? "the timestamp is missing"
          : `\`${stamp}\` is not an ISO-8601 time such as 2026-01-05T09:00:00Z`,
      );
      continue;
    }
    accounts.push(account.toLowerCase());
    times.push(at);
  }
  // Replay in time order; a stable sort keeps same-second lines as logged.
  let reordered = 0;
  for (let i = 1; i < times.length; i++) if (times[i]! < times[i - 1]!) reordered++;
  let order: number[] | null = null;
  if (reordered > 0) {
    order = times.map((_, i) => i);
    order.sort((x, y) => times[x]! - times[y]! || x - y);
  }
  const sortedAccounts = order ? order.map((i) => accounts[i]!) : accounts;
  const sortedTimes = Float64Array.from(order ? order.map((i) => times[i]!) : times);
  const n = sortedTimes.length;
  return {
    accounts: sortedAccounts,
    times: sortedTimes,
    report: {
      header,
      rows: n,
      bad,
      badTotal,
      distinct: new Set(sortedAccounts).size,
      first: n ? isoText(sortedTimes[0]!) : null,
      last: n ? isoText(sortedTimes[n - 1]!) : null,
      reordered,
    },
  };
}
