#!/usr/bin/env node
// `node scripts/bench-at-cap.mjs [accounts…]`: the cost of the connect that
// takes the last seat under `capping: "at-cap"` (SPEC R5), which marks every
// other eligible account at once, over MemoryStore and SqliteStore: wall time,
// store round trips (get + list calls) and commits. Prints figures; asserts nothing.
// `--write-docs` also writes the table into docs/performance.md (scripts/write-docs.mjs).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Engine, MemoryStore, SqliteStore } from "../dist/node.mjs";
import { markdownTable, machine, writeDocs, writeDocsBlock } from "./write-docs.mjs";

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 1);
const SIZES = sizes.length > 0 ? sizes : [500, 2000, 20000];
const T0 = Date.parse("2026-05-01T00:00:00Z");
const table = [];

const scenario = (accounts) => ({
  licence: { mailboxes: null, features: { activesync: { seats: 1 } } },
  policy: { capping: "at-cap" },
  directory: {
    server: { activesync: "disabled" },
    domains: { "example.com": { settings: { activesync: "enabled" } } },
    generate: [{ domain: "example.com", count: accounts, prefix: "user" }],
  },
});

/** The store, counting the calls the engine makes. */
function counted(store) {
  const calls = { get: 0, list: 0, commit: 0 };
  return {
    calls,
    store: {
      get: (keys) => {
        calls.get++;
        return store.get(keys);
      },
      list: (prefix, after, limit) => {
        calls.list++;
        return store.list(prefix, after, limit);
      },
      commit: (tx) => {
        calls.commit++;
        return store.commit(tx);
      },
    },
  };
}

async function measure(name, store, accounts) {
  const seed = await new Engine(store).importScenario(scenario(accounts));
  if (!seed.ok) throw new Error(seed.error.message);
  const { calls, store: spy } = counted(store);
  const engine = new Engine(spy, { now: () => T0 });
  const start = performance.now();
  const decision = await engine.connect("user1@example.com", "activesync");
  const ms = performance.now() - start;
  const capped = (await engine.capped("activesync", { limit: 10_000 })).page;
  const marked = capped.items.length + (capped.next === null ? 0 : 10_000);
  table.push({
    store: name,
    accounts: accounts.toLocaleString("en"),
    decision: decision.reason,
    ms: ms.toFixed(0),
    "store calls": `${calls.get} get + ${calls.list} list`,
    commits: calls.commit,
    capped: `${marked}${capped.next === null ? "" : "+"}`,
  });
  console.log(
    `${name.padEnd(10)} ${String(accounts).padStart(6)} accounts: ${decision.reason}, ${ms.toFixed(0).padStart(6)} ms, ` +
      `${calls.get} get + ${calls.list} list calls, ${calls.commit} commit(s), ${marked}${capped.next === null ? "" : "+"} capped`,
  );
}

for (const accounts of SIZES) {
  await measure("memory", new MemoryStore(), accounts);
  const dir = mkdtempSync(path.join(tmpdir(), "seatcap-at-cap-"));
  const sqlite = await SqliteStore.open(path.join(dir, "bench.db"));
  try {
    await measure("sqlite", sqlite, accounts);
  } finally {
    sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
if (writeDocs)
  writeDocsBlock(
    "node scripts/bench-at-cap.mjs --write-docs",
    markdownTable(table),
    `${machine()}; the connect that takes the last of 1 seat under \`capping: "at-cap"\``,
  );
