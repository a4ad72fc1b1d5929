#!/usr/bin/env node
// `npm start` (until the edge server lands): the SPEC's Axigen example as a
// what-if simulation. 500 accounts in example.com, ActiveSync enabled on
// the domain, a licence of 200 seats; every account logs in once, in an
// order shuffled from a fixed seed (the engine reads no randomness: the
// host makes the timeline), and a day later the administrator tries to
// enable one capped account.
import { pathToFileURL } from "node:url";
import { simulate } from "../dist/node.mjs";

const ACCOUNTS = 500;
const SEATS = 200;
const SEED = 20260105;

/** mulberry32: a tiny seeded PRNG, so the demo prints the same every time. */
export function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function axigenScenario({ accounts = ACCOUNTS, seats = SEATS, seed = SEED } = {}) {
  const random = mulberry32(seed);
  const order = Array.from({ length: accounts }, (_, i) => i + 1);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const start = Date.parse("2026-01-05T08:00:00Z");
  const events = order.map((n, i) => ({
    op: "connect",
    account: `user${n}@example.com`,
    feature: "activesync",
    at: new Date(start + i * 60_000).toISOString().replace(".000Z", "Z"),
  }));
  const lastCapped = `user${order[order.length - 1]}@example.com`;
  events.push({
    op: "set",
    node: `account:${lastCapped}`,
    feature: "activesync",
    value: "enabled",
    at: "2026-01-06T09:00:00Z",
  });
  return {
    licence: { mailboxes: accounts, features: { activesync: { seats } } },
    policy: { capping: "on-attempt", overflow: "disable" },
    directory: {
      server: { activesync: "disabled" },
      domains: { "example.com": { settings: { activesync: "enabled" } } },
      generate: [{ domain: "example.com", count: accounts, prefix: "user" }],
    },
    events,
  };
}

export function summarise(scenario, outcome) {
  const seats = outcome.state.seats.activesync;
  const accounts = Object.entries(outcome.state.accounts);
  const capped = accounts.filter(([, f]) => f.activesync.capped);
  const connects = outcome.events.filter((e) => "allowed" in e);
  const allowed = connects.filter((e) => e.allowed).length;
  const last = outcome.events[outcome.events.length - 1];
  const lastEvent = scenario.events[scenario.events.length - 1];
  const firstCappedAt = outcome.events.findIndex((e) => e.reason === "capped");
  const firstCapped = scenario.events[firstCappedAt].account;
  const n = (x) => x.toLocaleString("en");
  const cappedInOrder = outcome.events.flatMap((e, i) =>
    e.reason === "capped" ? [scenario.events[i].account] : [],
  );
  const describe = (f) =>
    `setting ${f.setting}${f.capped ? " (capped)" : ""}, effective ${f.effective} from ${f.source}, ${f.seat ? "holds a seat" : "no seat"}`;
  const lines = [
    "seatcap what-if: the Axigen ActiveSync example",
    `  licence            ${n(scenario.licence.mailboxes)} mailboxes, ${n(seats.limit)} ActiveSync seats, policy on-attempt / disable`,
    `  directory          ${n(accounts.length)} premium accounts in example.com, ActiveSync enabled on the domain`,
    `  timeline           ${n(connects.length)} first logins from 2026-01-05 08:00Z, shuffled with seed ${SEED}`,
    "",
    `  seats used         ${n(seats.holders.length)} of ${n(seats.limit)}`,
    `  connects allowed   ${n(allowed)}`,
    `  connects denied    ${n(connects.length - allowed)}`,
    `  accounts capped    ${n(capped.length)} (setting written "disabled", explicitly defined)`,
    "",
    `  first holders      ${seats.holders.slice(0, 5).join(", ")}, …`,
    `  last holder        ${seats.holders[seats.holders.length - 1]} (seat ${n(seats.holders.length)})`,
    `  first capped       ${firstCapped} (login ${n(firstCappedAt + 1)})`,
    "  capped accounts (in login order), their ActiveSync setting now:",
    ...cappedInOrder
      .slice(0, 4)
      .map((id) => `    ${id.padEnd(22)} ${describe(outcome.state.accounts[id].activesync)}`),
    `    … and ${n(cappedInOrder.length - 4)} more`,
    "",
    `  next day, an administrator enables ${lastEvent.node.slice("account:".length)}:`,
    last.ok ? "    applied" : `    refused: ${last.error.code}: ${last.error.message}`,
    "  (to enable another account, disable one of the holders first — as Axigen documents)",
  ];
  return { text: lines.join("\n"), holders: seats.holders.length, capped: capped.length };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const scenario = axigenScenario();
  const result = simulate(scenario);
  if (result.type === "failure") {
    console.error(`seatcap: demo scenario refused: ${result.error.message}`);
    process.exit(1);
  }
  console.log(summarise(scenario, result.outcome).text);
}
