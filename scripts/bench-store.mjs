#!/usr/bin/env node
// `npm run bench:store`: per-call latency of `Engine.connect` over each
// shipped store, for a connect on a held seat (R3, the hot path) and a new
// claim (R4), beside the bare wasm cost of the same decision measured in the
// same run (the core's Attempt answered from a JavaScript Map: no store, no
// Engine). Prints figures; asserts nothing. `--write-docs` also writes the
// table into docs/performance.md (scripts/write-docs.mjs).
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as glue from "../pkg/seatcap.js";
import { Engine, MemoryStore, PostgresStore, SqliteStore } from "../dist/node.mjs";
import { markdownTable, machine, writeDocs, writeDocsBlock } from "./write-docs.mjs";

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 2000);
const PG_URL = process.env.SEATCAP_PG_URL || "postgres://root@127.0.0.1:5432/test";
const T0 = Date.parse("2026-05-01T00:00:00Z");
glue.initSync({ module: readFileSync(new URL("../dist/seatcap_bg.wasm", import.meta.url)) });

const scenario = {
  licence: { mailboxes: null, features: { activesync: { seats: null } } },
  directory: {
    server: { activesync: "disabled" },
    domains: { "example.com": { settings: { activesync: "enabled" } } },
    generate: [{ domain: "example.com", count: ACCOUNTS, prefix: "user" }],
  },
};
const id = (n) => `user${n}@example.com`;

function percentiles(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99) };
}

/** Times `count` sequential calls of `call(i)`, in microseconds each. */
async function timeCalls(count, call) {
  const samples = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await call(i);
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  return percentiles(samples);
}

/** The decision alone: the wasm Attempt answered from a Map, its commit applied to the Map. */
function bareConnect(map, account, at) {
  const attempt = glue.Attempt.connect(account, "activesync", at);
  try {
    let step = JSON.parse(attempt.step());
    while (step.step === "load") {
      const got = step.keys.map((k) => map.get(k) ?? null);
      step = JSON.parse(attempt.step({ got, listed: step.lists.map(() => []) }));
    }
    if (step.step === "commit") {
      for (const { key, value } of step.commit.put) map.set(key, { value, version: 1 });
      for (const key of step.commit.del) map.delete(key);
    }
    return step.answer;
  } finally {
    attempt.free();
  }
}

async function measure(name, store, calls) {
  const engine = new Engine(store);
  const imported = await engine.importScenario(scenario);
  if (!imported.ok) throw new Error(`${name}: import failed: ${JSON.stringify(imported)}`);
  // Warm up on accounts the runs below do not touch.
  for (let i = 0; i < 50; i++) await engine.connect(id(ACCOUNTS - i), "activesync", T0);
  const claim = await timeCalls(calls, (i) => engine.connect(id(i + 1), "activesync", T0 + i));
  const held = await timeCalls(calls, (i) =>
    engine.connect(id(i + 1), "activesync", T0 + calls + i),
  );
  return { name, claim, held };
}

const rows = [];
{
  // Bare: the same requests, decided by the core alone.
  const map = new Map();
  const exported = new MemoryStore();
  await new Engine(exported).importScenario(scenario);
  for (const [key, value] of exported.entries()) map.set(key, value);
  // Warm up (V8 tiers wasm up as it runs hot) on accounts the runs below do not touch.
  for (let round = 0; round < 20; round++)
    for (let i = 0; i < 50; i++) bareConnect(map, id(ACCOUNTS - i), T0 + round);
  const calls = Math.min(1000, ACCOUNTS - 100);
  const claim = await timeCalls(calls, (i) => bareConnect(map, id(i + 1), T0 + i));
  const held = await timeCalls(calls, (i) => bareConnect(map, id(i + 1), T0 + calls + i));
  rows.push({ name: "bare wasm decision (no store)", claim, held });
  rows.push(await measure("MemoryStore", new MemoryStore(), calls));
  const dir = mkdtempSync(path.join(tmpdir(), "seatcap-bench-"));
  const sqlite = await SqliteStore.open(path.join(dir, "bench.db"));
  rows.push(await measure("SqliteStore (WAL file)", sqlite, calls));
  sqlite.close();
  rmSync(dir, { recursive: true, force: true });
  try {
    const { default: pg } = await import("pg");
    const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
    const store = new PostgresStore(pool, { table: `seatcap_bench_${process.pid}` });
    try {
      rows.push(await measure("PostgresStore (127.0.0.1)", store, Math.min(calls, 500)));
    } finally {
      await store.drop();
      await pool.end();
    }
  } catch (e) {
    console.log(`PostgresStore: not measured (${e.message})`);
  }
}

const bare = rows[0];
const fmt = (us) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`);
console.log(`connect latency, ${ACCOUNTS} accounts, one call at a time (Node ${process.version})`);
console.log(
  "store".padEnd(32),
  "held p50".padStart(10),
  "held p99".padStart(10),
  "× bare".padStart(7),
  "claim p50".padStart(10),
  "claim p99".padStart(10),
  "× bare".padStart(7),
);
for (const r of rows) {
  console.log(
    r.name.padEnd(32),
    fmt(r.held.p50).padStart(10),
    fmt(r.held.p99).padStart(10),
    `${(r.held.p50 / bare.held.p50).toFixed(1)}`.padStart(7),
    fmt(r.claim.p50).padStart(10),
    fmt(r.claim.p99).padStart(10),
    `${(r.claim.p50 / bare.claim.p50).toFixed(1)}`.padStart(7),
  );
}
if (writeDocs)
  writeDocsBlock(
    "npm run bench:store -- --write-docs",
    markdownTable(
      rows.map((r) => ({
        store: r.name,
        "held seat p50": fmt(r.held.p50),
        "held seat p99": fmt(r.held.p99),
        "× bare (held)": (r.held.p50 / bare.held.p50).toFixed(1),
        "new claim p50": fmt(r.claim.p50),
        "new claim p99": fmt(r.claim.p99),
        "× bare (claim)": (r.claim.p50 / bare.claim.p50).toFixed(1),
      })),
    ),
    `${machine()}; ${ACCOUNTS} accounts, one call at a time`,
  );
