// Listed accounts as an administrator types them, one per line:
//   boss@example.com premium class=sales activesync=enabled
//   intern@example.com basic
//   old@example.com activesync=capped@2026-01-05T09:00:00Z   (recorded capped marker)
// Fields are separated by spaces, tabs or commas. Problems name their line.
import type { AccountConfig, Setting } from "../../../js/src/types.js";
import { accountProblem } from "./csv.js";

export interface LineProblem {
  line: number;
  message: string;
}

export interface ParsedAccounts {
  accounts: AccountConfig[];
  /** The line each account came from (for pointing the engine's `directory.accounts[i]` errors at a line). */
  lines: number[];
  problems: LineProblem[];
}

const SETTINGS: readonly string[] = ["inherit", "enabled", "disabled"];

export function parseAccounts(text: string): ParsedAccounts {
  const out: ParsedAccounts = { accounts: [], lines: [], problems: [] };
  for (const [i, raw] of text.split(/\r\n|\n|\r/).entries()) {
    const line = i + 1;
    const words = raw
      .trim()
      .split(/[\s,]+/)
      .filter(Boolean);
    if (words.length === 0 || words[0]!.startsWith("#")) continue;
    const [id, ...rest] = words as [string, ...string[]];
    const problem = accountProblem(id) ?? wordsProblem(rest, { id });
    if (typeof problem === "string") out.problems.push({ line, message: problem });
    else {
      out.accounts.push(problem);
      out.lines.push(line);
    }
  }
  return out;
}

/** Reads one line's words after the id into `account`, or says what is wrong with them. */
function wordsProblem(words: readonly string[], account: AccountConfig): string | AccountConfig {
  for (const word of words) {
    const eq = word.indexOf("=");
    if (word === "premium" || word === "basic") account.type = word;
    else if (word.startsWith("class=") && word.length > 6) account.class = word.slice(6);
    else if (eq > 0) {
      const feature = word.slice(0, eq);
      const value = word.slice(eq + 1);
      if (value.startsWith("capped@")) {
        account.settings ??= {};
        account.settings[feature] = "disabled";
        account.capped ??= {};
        account.capped[feature] = value.slice(7);
      } else if (SETTINGS.includes(value)) {
        account.settings ??= {};
        account.settings[feature] = value as Setting;
      } else
        return `\`${value}\` is not inherit, enabled, disabled or capped@<time> (in \`${word}\`)`;
    } else return `\`${word}\` is not premium, basic, class=<name> or <feature>=<setting>`;
  }
  return account;
}

/** The inverse of `parseAccounts`: one line per account, defaults left out. */
export function formatAccounts(accounts: readonly AccountConfig[]): string {
  return accounts
    .map((a) => {
      const words = [a.id];
      if (a.type && a.type !== "premium") words.push(a.type);
      if (a.class) words.push(`class=${a.class}`);
      for (const [feature, value] of Object.entries(a.settings ?? {})) {
        const capped = a.capped?.[feature];
        words.push(capped ? `${feature}=capped@${capped}` : `${feature}=${value}`);
      }
      // A capped marker without its setting is invalid (the engine says so); keep it visible rather than lose it.
      for (const [feature, at] of Object.entries(a.capped ?? {}))
        if (!(feature in (a.settings ?? {}))) words.push(`${feature}=capped@${at}`);
      return words.join(" ");
    })
    .join("\n");
}
