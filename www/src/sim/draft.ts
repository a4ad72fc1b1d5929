// The simulator's form state ("draft") and its translation to and from a
// SPEC scenario. Numbers are kept as the text typed, so a half-typed value
// is never lost; `toScenario` checks them and names the section of every
// problem. The engine checks the rest (validateScenario), and `engineSection`
// points its messages at the same sections.
import type {
  AccountConfig,
  AccountType,
  Capping,
  Overflow,
  Scenario,
  Setting,
  Shrink,
} from "../../../js/src/types.js";
import { formatAccounts, parseAccounts } from "./accounts-text.js";
import type { TimelineSpec } from "./shared.js";
import { isoText, parseIso } from "./time.js";

export interface FeatureDraft {
  name: string;
  seats: string;
}
export interface ClassDraft {
  name: string;
  settings: Record<string, Setting>;
}
export interface DomainDraft {
  name: string;
  settings: Record<string, Setting>;
  classes: ClassDraft[];
}
export interface GenerateDraft {
  domain: string;
  count: string;
  prefix: string;
  type: AccountType;
  class: string;
}
export interface PolicyDraft {
  capping: Capping;
  overflow: Overflow;
  shrink: Shrink;
  restoreOnGrow: boolean;
}

export interface Draft {
  licence: { mailboxes: string; expires: string; features: FeatureDraft[] };
  policy: PolicyDraft;
  server: Record<string, Setting>;
  domains: DomainDraft[];
  generate: GenerateDraft[];
  /** Listed accounts, one per line (accounts-text.ts). */
  accountsText: string;
  /** Listed accounts of a loaded file too many to edit as text; kept as loaded. */
  bulkAccounts: AccountConfig[] | null;
  /** Recorded seat ledgers of a loaded file, kept as loaded. */
  seats: Scenario["seats"] | null;
  /** The loaded file's own events, kept as loaded; the timeline's connects come after them. */
  events: unknown[];
}

export interface TimelineDraft {
  kind: "none" | "generated" | "csv";
  feature: string;
  users: string;
  repeats: string;
  days: string;
  /** YYYY-MM-DD (or any ISO time). */
  start: string;
  seed: string;
  csvText: string;
  csvName: string;
}

export interface SizingDraft {
  from: string;
  to: string;
  points: string;
}
export interface CompareDraft extends PolicyDraft {
  seats: string;
  mailboxes: string;
}

/** Everything the page's forms hold; the URL carries exactly this. */
export interface SimState {
  draft: Draft;
  timeline: TimelineDraft;
  sizing: SizingDraft;
  compare: CompareDraft;
}

export type Section =
  | "file"
  | "licence"
  | "policy"
  | "server"
  | "domains"
  | "generate"
  | "accounts"
  | "events"
  | "recorded"
  | "timeline"
  | "sizing"
  | "compare";
export interface Problem {
  section: Section;
  message: string;
}

/** Above this many listed accounts a loaded file's accounts are kept as a list, not put into the text box. */
export const MAX_EDITABLE_ACCOUNTS = 20_000;

export const DEFAULT_POLICY: PolicyDraft = {
  capping: "on-attempt",
  overflow: "disable",
  shrink: "grandfather",
  restoreOnGrow: false,
};

/** A whole number ≥ 0 from a text field, `null` for an empty one when `blank` allows, or a problem. */
export function wholeNumber(
  text: string,
  what: string,
  blank: "null" | "error" = "error",
): number | null | { problem: string } {
  const t = text.trim();
  if (t === "" && blank === "null") return null;
  if (!/^\d+$/.test(t))
    return {
      problem:
        t === "" ? `${what}: enter a whole number` : `${what}: \`${t}\` is not a whole number ≥ 0`,
    };
  return Number(t);
}

const isProblem = (v: unknown): v is { problem: string } =>
  typeof v === "object" && v !== null && "problem" in v;

/** Settings without the `inherit` entries (they are the default below the server). */
function explicit(settings: Record<string, Setting>): Record<string, Setting> | undefined {
  const out = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== "inherit"));
  return Object.keys(out).length ? out : undefined;
}

export interface Built {
  scenario: Scenario;
  problems: Problem[];
  /** Line of each listed account in the text box (see `engineSection`). */
  accountLines: number[];
}

export function toScenario(d: Draft): Built {
  const problems: Problem[] = [];
  const say = (section: Section, message: string) => problems.push({ section, message });

  const mailboxes = wholeNumber(d.licence.mailboxes, "Mailboxes", "null");
  if (isProblem(mailboxes)) say("licence", mailboxes.problem);
  let expires: string | null = null;
  if (d.licence.expires.trim()) {
    const ms = parseIso(d.licence.expires);
    if (ms === null)
      say(
        "licence",
        `Expires: \`${d.licence.expires}\` is not a date or time such as 2026-12-31 or 2026-12-31T23:59:59Z`,
      );
    else expires = isoText(ms);
  }
  const features: Record<string, { seats: number | null }> = {};
  for (const f of d.licence.features) {
    const name = f.name.trim();
    if (!name) say("licence", "A feature has no name");
    else if (name in features) say("licence", `Feature \`${name}\` is listed twice`);
    const seats = wholeNumber(f.seats, `Seats of ${name || "the unnamed feature"}`, "null");
    if (isProblem(seats)) say("licence", seats.problem);
    else if (name) features[name] = { seats };
  }

  const domains: NonNullable<Scenario["directory"]["domains"]> = {};
  const seen = new Set<string>();
  for (const dom of d.domains) {
    const name = dom.name.trim();
    if (!name) {
      say("domains", "A domain has no name");
      continue;
    }
    if (seen.has(name.toLowerCase())) say("domains", `Domain \`${name}\` is listed twice`);
    seen.add(name.toLowerCase());
    const classes: Record<string, { settings?: Record<string, Setting> }> = {};
    for (const c of dom.classes) {
      const cname = c.name.trim();
      if (!cname) say("domains", `A class of ${name} has no name`);
      else if (cname in classes) say("domains", `Class \`${cname}\` of ${name} is listed twice`);
      else {
        const settings = explicit(c.settings);
        classes[cname] = settings ? { settings } : {};
      }
    }
    const settings = explicit(dom.settings);
    domains[name] = {
      ...(settings ? { settings } : {}),
      ...(Object.keys(classes).length ? { classes } : {}),
    };
  }

  const generate = d.generate.map((g, i) => {
    const count = wholeNumber(g.count, `Generated block ${i + 1}: count`);
    if (isProblem(count)) say("generate", count.problem);
    if (!g.prefix.trim()) say("generate", `Generated block ${i + 1}: the prefix is empty`);
    return {
      domain: g.domain.trim(),
      count: isProblem(count) || count === null ? 0 : count,
      prefix: g.prefix.trim(),
      ...(g.type === "basic" ? { type: g.type } : {}),
      ...(g.class.trim() ? { class: g.class.trim() } : {}),
    };
  });

  let accounts: AccountConfig[];
  let accountLines: number[] = [];
  if (d.bulkAccounts) accounts = d.bulkAccounts;
  else {
    const parsed = parseAccounts(d.accountsText);
    for (const p of parsed.problems) say("accounts", `Line ${p.line}: ${p.message}`);
    accounts = parsed.accounts;
    accountLines = parsed.lines;
  }

  const scenario: Scenario = {
    licence: { mailboxes: isProblem(mailboxes) ? null : mailboxes, features, expires },
    policy: { ...d.policy },
    directory: {
      server: { ...d.server },
      domains,
      ...(accounts.length ? { accounts } : {}),
      ...(generate.length ? { generate } : {}),
    },
    ...(d.seats && Object.keys(d.seats).length ? { seats: d.seats } : {}),
    ...(d.events.length ? { events: d.events as Scenario["events"] } : {}),
  };
  return { scenario, problems, accountLines };
}

const SETTING_VALUES: readonly string[] = ["inherit", "enabled", "disabled"];
function settingsOf(v: unknown): Record<string, Setting> {
  if (!v || typeof v !== "object") return {};
  // Keep every entry, even one the engine will refuse: its message then points at it.
  return Object.fromEntries(
    Object.entries(v).map(([k, s]) => [
      k,
      (SETTING_VALUES.includes(String(s)) ? s : String(s)) as Setting,
    ]),
  );
}
const text = (v: unknown): string => (v === null || v === undefined ? "" : String(v));
const record = (v: unknown): Record<string, unknown> =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** The forms for a loaded scenario. Loosely read: what the engine will refuse is shown by its message, not guessed here. */
export function fromScenario(input: unknown): Draft {
  const s = record(input);
  const licence = record(s.licence);
  const policy = record(s.policy);
  const directory = record(s.directory);
  const accounts = Array.isArray(directory.accounts) ? (directory.accounts as AccountConfig[]) : [];
  return {
    licence: {
      mailboxes: text(licence.mailboxes),
      expires: text(licence.expires),
      features: Object.entries(record(licence.features)).map(([name, f]) => ({
        name,
        seats: text(record(f).seats),
      })),
    },
    policy: {
      capping: (policy.capping as Capping) ?? DEFAULT_POLICY.capping,
      overflow: (policy.overflow as Overflow) ?? DEFAULT_POLICY.overflow,
      shrink: (policy.shrink as Shrink) ?? DEFAULT_POLICY.shrink,
      restoreOnGrow: policy.restoreOnGrow === true,
    },
    server: settingsOf(directory.server),
    domains: Object.entries(record(directory.domains)).map(([name, dom]) => ({
      name,
      settings: settingsOf(record(dom).settings),
      classes: Object.entries(record(record(dom).classes)).map(([cname, c]) => ({
        name: cname,
        settings: settingsOf(record(c).settings),
      })),
    })),
    generate: (Array.isArray(directory.generate) ? directory.generate : []).map((g) => {
      const r = record(g);
      return {
        domain: text(r.domain),
        count: text(r.count),
        prefix: text(r.prefix),
        type: r.type === "basic" ? "basic" : "premium",
        class: text(r.class),
      };
    }),
    accountsText: accounts.length <= MAX_EDITABLE_ACCOUNTS ? formatAccounts(accounts) : "",
    bulkAccounts: accounts.length > MAX_EDITABLE_ACCOUNTS ? accounts : null,
    seats: s.seats && typeof s.seats === "object" ? (s.seats as Scenario["seats"]) : null,
    events: Array.isArray(s.events) ? s.events : [],
  };
}

/** Where an engine message (`directory.accounts[3].id: …`) belongs in the forms. */
export function engineSection(message: string, accountLines: number[]): Problem {
  const rules: [RegExp, Section][] = [
    [/^licence\b/, "licence"],
    [/^policy\b/, "policy"],
    [/^directory\.server\b/, "server"],
    [/^directory\.domains\b/, "domains"],
    [/^directory\.generate\b/, "generate"],
    [/^directory\.accounts\b/, "accounts"],
    [/^directory\b/, "generate"],
    [/^seats\b/, "recorded"],
    [/^events\b/, "events"],
  ];
  const section = rules.find(([re]) => re.test(message))?.[1] ?? "file";
  const index = /^directory\.accounts\[(\d+)\]/.exec(message);
  const line = index ? accountLines[Number(index[1])] : undefined;
  return { section, message: line ? `Line ${line}: ${message}` : message };
}

/** How many accounts the directory has (for the timeline's "of N accounts"). */
export function accountTotal(d: Draft): number {
  const listed = d.bulkAccounts
    ? d.bulkAccounts.length
    : parseAccounts(d.accountsText).accounts.length;
  return d.generate.reduce(
    (sum, g) => sum + (/^\d+$/.test(g.count.trim()) ? Number(g.count) : 0),
    listed,
  );
}

export function featureNames(d: Draft): string[] {
  return d.licence.features.map((f) => f.name.trim()).filter(Boolean);
}

/** The timeline spec the worker runs, or the problems that stop it. */
export function toTimeline(
  t: TimelineDraft,
  d: Draft,
): { spec: TimelineSpec; problems: Problem[] } {
  const problems: Problem[] = [];
  const say = (message: string) => problems.push({ section: "timeline", message });
  if (t.kind === "none") return { spec: { kind: "none" }, problems };
  if (!featureNames(d).includes(t.feature))
    say(
      `Feature: choose one of the licence's features (${featureNames(d).join(", ") || "the licence has none"})`,
    );
  if (t.kind === "csv") {
    if (!t.csvText.trim()) say("No log yet: choose a CSV file, drop one here or paste its lines");
    return {
      spec: { kind: "csv", feature: t.feature, text: t.csvText, name: t.csvName },
      problems,
    };
  }
  const num = (v: string, what: string, min: number): number => {
    const n = wholeNumber(v, what);
    if (isProblem(n) || n === null) {
      say(isProblem(n) ? n.problem : `${what}: enter a whole number`);
      return 0;
    }
    if (n < min) say(`${what}: at least ${min}`);
    return n;
  };
  const users = num(t.users, "Accounts that connect", 0);
  const repeats = num(t.repeats, "Connections per account", 1);
  const days = num(t.days, "Days", 1);
  const seed = num(t.seed, "Seed", 0);
  const total = accountTotal(d);
  if (users > total)
    say(
      `Accounts that connect: the directory has ${total.toLocaleString("en-US")} accounts, not ${users.toLocaleString("en-US")}`,
    );
  const startMs = parseIso(t.start);
  if (startMs === null) say(`Start: \`${t.start}\` is not a date such as 2026-01-05`);
  return {
    spec: {
      kind: "generated",
      feature: t.feature,
      users,
      repeats,
      days,
      seed,
      start: isoText(startMs ?? 0),
    },
    problems,
  };
}

/** The sizing curve's seat counts: `points` evenly spread from `from` to `to`, without repeats. */
export function sizingSeats(s: SizingDraft): { seats: number[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const get = (v: string, what: string) => {
    const n = wholeNumber(v, what);
    if (isProblem(n) || n === null) {
      problems.push({ section: "sizing", message: isProblem(n) ? n.problem : what });
      return 0;
    }
    return n;
  };
  const from = get(s.from, "From");
  const to = get(s.to, "To");
  const points = get(s.points, "Points");
  if (to < from) problems.push({ section: "sizing", message: "To must be at least From" });
  if (points < 2 || points > 25)
    problems.push({ section: "sizing", message: "Points: between 2 and 25" });
  if (problems.length) return { seats: [], problems };
  const seats = [
    ...new Set(
      Array.from({ length: points }, (_, k) => Math.round(from + ((to - from) * k) / (points - 1))),
    ),
  ];
  return { seats, problems };
}

/** Licence B of the comparison: A's scenario with B's seats, mailboxes and policy. */
export function compareScenario(
  a: Scenario,
  c: CompareDraft,
  feature: string,
): { scenario: Scenario; problems: Problem[] } {
  const problems: Problem[] = [];
  const seats = wholeNumber(c.seats, `B: seats of ${feature}`, "null");
  const mailboxes = wholeNumber(c.mailboxes, "B: mailboxes", "null");
  for (const v of [seats, mailboxes])
    if (isProblem(v)) problems.push({ section: "compare", message: v.problem });
  if (!(feature in a.licence.features))
    problems.push({
      section: "compare",
      message: `\`${feature}\` is not a feature of the licence`,
    });
  const { seats: _s, mailboxes: _m, ...policy } = c;
  return {
    scenario: {
      ...a,
      licence: {
        ...a.licence,
        mailboxes: isProblem(mailboxes) ? null : mailboxes,
        features: { ...a.licence.features, [feature]: { seats: isProblem(seats) ? null : seats } },
      },
      policy,
    },
    problems,
  };
}
