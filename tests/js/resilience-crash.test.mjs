// `kill -9` of `seatcap serve` mid-load (issue 13), several times on one
// SQLite file and on one PostgreSQL table: each time it is started again on
// the same store, the audit is clean (R14), every seat granted before the
// kill (answered 2xx) is still held, and the admin writes that touch several
// keys — a domain-level `set` (R8 releases the domain's holders with it) and
// `restore-capped` (R11: every capped account and the index) — were applied
// all or nothing: the domain ends as its last acknowledged write or the one
// in flight left it, with no holder it disables.
import assert from "node:assert/strict";
import path from "node:path";
import { describe, test } from "node:test";
import { PostgresStore, SqliteStore } from "../../dist/node.mjs";
import {
  ACCOUNTS,
  granted,
  MANAGED,
  SEATS,
  seed,
  startLoad,
  TOKEN,
  until,
} from "./resilience-load.mjs";
import { api, startServer, startUpstream, tempDir } from "./server-helpers.mjs";
import { PG_URL, postgresAvailable, uniqueTable } from "./stores.mjs";

const KILLS = 4;
const kinds = ["sqlite", ...((await postgresAvailable()) ? ["postgres"] : [])];

/** Sequential admin writes until stopped: `{what, value, status, start, end}` each. */
function startAdmin(base) {
  const admin = api(base, TOKEN);
  const writes = [];
  let running = true;
  const loop = (async () => {
    for (let n = 0; running; n++) {
      const start = Date.now();
      const write =
        n % 4 === 3
          ? { what: "restore-capped" }
          : { what: "domain", value: n % 2 === 0 ? "enabled" : "disabled" };
      writes.push(Object.assign(write, { start, status: 0 }));
      try {
        const res =
          write.what === "restore-capped"
            ? await admin.post("/v1/seats/activesync/restore-capped", {})
            : await admin.put("/v1/settings", {
                node: "domain:y.com",
                feature: "activesync",
                value: write.value,
              });
        write.status = res.status;
      } catch {
        write.status = 0;
      }
      write.end = Date.now();
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    writes,
    async stop() {
      running = false;
      await loop;
    },
  };
}

for (const kind of kinds) {
  describe(`kill -9 of seatcap serve on ${kind}`, () => {
    test(`${KILLS} kills mid-load: audit clean, every granted seat held, no half-applied admin write`, async () => {
      const data = tempDir();
      const table = uniqueTable();
      const args = ["--admin-token", TOKEN, ...(kind === "postgres" ? ["--postgres", PG_URL] : [])];
      const env = kind === "postgres" ? { SEATCAP_POSTGRES_TABLE: table } : {};
      const store =
        kind === "postgres"
          ? await PostgresStore.open(PG_URL, { table })
          : await SqliteStore.open(path.join(data, "seatcap.db"));
      await seed(store);
      const upstream = await startUpstream();
      const everGranted = new Set();
      let domain = { acknowledged: "disabled", inFlight: undefined };
      let server;
      try {
        for (let kill = 0; kill <= KILLS; kill++) {
          server = await startServer({ data, args: [...args, "--upstream", upstream.url], env });
          const admin = api(server.url, TOKEN);

          // Started again on the same store: nothing of what came before is lost or half there.
          const check = await admin.get("/v1/check");
          assert.equal(check.status, 200, check.text);
          assert.deepEqual(check.json.problems, [], `after kill ${kill}: the audit is clean`);
          const holders = new Set(
            (await admin.get("/v1/seats/activesync")).json.holders.map((h) => h.account),
          );
          assert.ok(holders.size <= SEATS, "R14: within the licence");
          for (const account of everGranted)
            assert.ok(
              holders.has(account),
              `after kill ${kill}: ${account} was granted a seat and still holds it`,
            );
          const setting = (await admin.get("/v1/domains/y.com")).json.settings.activesync;
          assert.ok(
            [domain.acknowledged, domain.inFlight].includes(setting),
            `after kill ${kill}: y.com is ${setting}, the last write acknowledged ${domain.acknowledged}`,
          );
          if (setting === "disabled")
            for (const id of MANAGED)
              assert.ok(
                !holders.has(id),
                `R8 all or nothing: ${id} holds a seat of a disabled domain`,
              );
          domain = { acknowledged: setting, inFlight: undefined };
          if (kill === KILLS) {
            await server.stop();
            break;
          }

          const load = startLoad(server.url, {
            clients: 16,
            accounts: [...ACCOUNTS, ...MANAGED],
            seed: kill + 1,
          });
          const writes = startAdmin(server.url);
          await until(
            () => load.results.length >= 150 && writes.writes.length >= 4,
            30_000,
            "load before the kill",
          ).catch((e) => {
            throw new Error(
              `${e.message}: ${load.results.length} answers, ${writes.writes.length} admin writes\n${server.output().slice(-1500)}`,
            );
          });
          const killedAt = Date.now();
          server.child.kill("SIGKILL");
          await new Promise((resolve) =>
            server.child.exitCode !== null || server.child.signalCode !== null
              ? resolve()
              : server.child.once("exit", resolve),
          );
          await Promise.all([load.stop(), writes.stop()]);

          // x.com accounts are only ever connected: once granted, a seat stays theirs.
          for (const account of granted(load.results))
            if (account.endsWith("@x.com")) everGranted.add(account);
          const domainWrites = writes.writes.filter((w) => w.what === "domain");
          const done = domainWrites.filter((w) => w.status === 200);
          const last = done.at(-1);
          // A write the loop started after the kill found no server: it can't have been applied.
          const pending = domainWrites.filter((w) => w.status === 0 && w.start <= killedAt);
          assert.deepEqual(
            domainWrites.filter((w) => w.status !== 200 && w.status !== 0),
            [],
            "every admin write answered was applied",
          );
          assert.ok(
            pending.length <= 1 && (!pending[0] || !last || pending[0].start > last.start),
            `only the last admin write was cut off: ${JSON.stringify({ last, pending, killedAt })}`,
          );
          domain = {
            acknowledged: last?.value ?? domain.acknowledged,
            inFlight: pending[0]?.value,
          };
        }
        console.log(
          `[crash ${kind}] ${KILLS} kills; ${everGranted.size} granted seats all still held`,
        );
      } finally {
        server?.child.kill("SIGKILL");
        await upstream.close();
        if (kind === "postgres") {
          await store.drop();
          await store.close();
        } else store.close();
      }
    });
  });
}
