// R14 across OS processes: four processes share one SQLite file, then one
// PostgreSQL table, with connects from more accounts than seats and admin
// enables/disables mixed in. Afterwards the ledger is exact, no admin write
// is lost, and every answer any process saw agrees with the final state.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import { Engine } from "../../dist/node.mjs";
import { openStore, PG_URL, postgresAvailable } from "./stores.mjs";

const run = promisify(execFile);
const WORKERS = 4;
const SEATS = 10;
const CONNECT_ONLY = Array.from({ length: 40 }, (_, i) => `c${i + 1}@x.com`);
const MANAGED = Array.from({ length: 2 * WORKERS }, (_, i) => `m${i + 1}@x.com`);
const T0 = Date.parse("2026-04-01T00:00:00Z");
const worker = path.join(import.meta.dirname, "fixtures/hammer-worker.mjs");

const kinds = ["sqlite", ...((await postgresAvailable()) ? ["postgres"] : [])];

for (const kind of kinds) {
  describe(`${WORKERS} processes on one ${kind} store`, () => {
    test("R4/R5/R6/R7/R14: exactly the seats are held, no admin write is lost, every answer is consistent", async () => {
      const opened = await openStore(kind);
      try {
        const engine = new Engine(opened.store);
        const imported = await engine.importScenario({
          licence: { mailboxes: null, features: { activesync: { seats: SEATS } } },
          directory: {
            server: { activesync: "disabled" },
            domains: { "x.com": { settings: { activesync: "enabled" } } },
            accounts: [...CONNECT_ONLY, ...MANAGED].map((id) => ({ id })),
          },
        });
        assert.deepEqual(imported, { ok: true });
        const target = kind === "sqlite" ? { file: opened.file } : { pgUrl: PG_URL, table: opened.store.table };
        const logs = await Promise.all(
          Array.from({ length: WORKERS }, async (_, w) => {
            const job = {
              kind, ...target, ops: 240, seed: 1000 + w, t0: T0 + w * 1_000_000,
              accounts: [...CONNECT_ONLY, ...MANAGED], owned: MANAGED.slice(2 * w, 2 * w + 2),
            };
            const { stdout } = await run(process.execPath, [worker, JSON.stringify(job)], { maxBuffer: 64 << 20 });
            return JSON.parse(stdout);
          }),
        );
        const all = logs.flat();
        const codes = {};
        for (const e of all) if (e.result.error) codes[e.result.error.code] = (codes[e.result.error.code] ?? 0) + 1;
        console.log(`[${kind}] ${all.length} requests from ${WORKERS} processes; refused/failed: ${JSON.stringify(codes)}`);
        assert.equal(codes["store-error"] ?? 0, 0, "no store errors");

        // The ledger is exact and within the licence.
        const audit = (await engine.audit()).audit;
        assert.deepEqual(audit, { problems: [], overLimit: [] });
        const seats = (await engine.seats("activesync")).seats;
        assert.ok(seats.holders.length <= SEATS);
        const holders = new Map(seats.holders.map((h) => [h.account, h]));

        // Connect-only accounts are never released: each claim any process saw is a seat held now, claimed once.
        const claims = all.filter((e) => e.op === "connect" && e.result.reason === "seat-claimed" && CONNECT_ONLY.includes(e.account));
        assert.equal(new Set(claims.map((c) => c.account)).size, claims.length, "no connect-only account claimed twice");
        for (const c of claims) assert.equal(holders.get(c.account)?.since, new Date(c.at).toISOString().replace(".000Z", "Z"), `${c.account} holds the seat it claimed`);
        for (const id of CONNECT_ONLY) if (holders.has(id)) assert.ok(claims.some((c) => c.account === id), `${id} holds a seat no process saw it claim`);

        // No lost admin write: each managed account ends as its owner's last applied write says.
        for (const id of MANAGED) {
          const writes = all.filter((e) => e.op === "set" && e.account === id && e.result.ok);
          const view = (await engine.account(id)).account.features.activesync;
          if (writes.length === 0) continue;
          const last = writes[writes.length - 1].value;
          assert.equal(view.setting, last, `${id}: last applied write was ${last}`);
          assert.equal(view.seat !== null, last === "enabled", `${id}: R6/R7 seat follows the last write`);
        }

        // Each process saw a consistent story: a connect-only account, once allowed, stays allowed; once capped, stays capped.
        for (const log of logs) {
          const state = new Map();
          for (const e of log.filter((x) => x.op === "connect" && CONNECT_ONLY.includes(x.account) && !x.result.error)) {
            const was = state.get(e.account);
            const now = e.result.allowed ? "allowed" : e.result.reason;
            if (was && was.batch < e.batch) assert.equal(now, was.now, `${e.account}: ${was.now} then ${now}`);
            state.set(e.account, { now, batch: e.batch });
          }
        }

        // Finally every account connects once more. Then the holders are exactly right: all seats are
        // taken, or fewer only because every other account is disabled (capped, or by an administrator).
        for (const id of [...CONNECT_ONLY, ...MANAGED]) await engine.connect(id, "activesync", T0 + 9_000_000);
        const final = new Set((await engine.seats("activesync")).seats.holders.map((h) => h.account));
        assert.ok(final.size <= SEATS);
        for (const id of [...CONNECT_ONLY, ...MANAGED]) {
          const view = (await engine.account(id)).account.features.activesync;
          assert.equal(view.seat !== null, final.has(id));
          if (final.size < SEATS && !final.has(id)) assert.equal(view.effective, "disabled", `${id} could still claim one of the ${SEATS - final.size} free seats`);
        }
        assert.deepEqual((await engine.audit()).audit.problems, []);
      } finally {
        await opened.close();
      }
    });
  });
}
