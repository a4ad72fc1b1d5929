// `seatcap serve --postgres` outlives its database (issue 13): a cluster of
// the test's own is stopped under load (fast, then immediate — a crash) and
// started again. Meanwhile requests answer 503 `store-error` and the process
// stays up; afterwards requests succeed again without restarting seatcap,
// the audit is clean and no granted seat is lost (R14). A connection that
// hangs (failover: the socket stays open, nothing answers) is timed out.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";
import { PostgresStore } from "../../dist/node.mjs";
import { clusterAvailable, startCluster } from "./pg-cluster.mjs";
import { granted, SEATS, seed, startLoad, TOKEN, until } from "./resilience-load.mjs";
import { api, startServer, startUpstream, tempDir } from "./server-helpers.mjs";

const available = clusterAvailable();

// Without PostgreSQL's binaries (said loudly above; an error with CI=true) there is nothing to run.
if (available)
  describe("seatcap serve --postgres while PostgreSQL goes away", () => {
    let cluster;
    let upstream;
    before(async () => {
      cluster = await startCluster();
      upstream = await startUpstream();
    });
    after(async () => {
      await upstream?.close();
      await cluster?.destroy();
    });

    test("restarts (fast and immediate): 503 store-error meanwhile, the process stays up, recovery without a restart, nothing lost", async () => {
      const table = "resilience_restart";
      const seeding = await PostgresStore.open(cluster.url, { table });
      await seed(seeding);
      await seeding.close();
      const server = await startServer({
        args: ["--postgres", cluster.url, "--admin-token", TOKEN, "--upstream", upstream.url],
        env: { SEATCAP_POSTGRES_TABLE: table, SEATCAP_POSTGRES_TIMEOUT_MS: "2000" },
      });
      const load = startLoad(server.url, { clients: 16 });
      const recoveries = {};
      try {
        await until(
          () => load.results.filter((r) => r.status === 200).length >= 50,
          30_000,
          "requests before the restart",
        ).catch((e) => {
          throw new Error(
            `${e.message}: ${JSON.stringify(summary(load.results))}\n${server.output().slice(-1500)}`,
          );
        });
        for (const mode of ["fast", "immediate"]) {
          await cluster.stop(mode);
          const down = Date.now();
          await until(
            () =>
              load.since(down).filter((r) => r.kind === "decide").length >= 20 &&
              (load.gatewayEvery > 1000 || load.since(down).some((r) => r.kind === "gateway")),
            20_000,
            `answers while stopped (${mode})`,
          );
          for (const r of load.since(down)) {
            assert.equal(
              r.status,
              503,
              `${mode}: ${r.kind} answered ${r.status} ${r.error ?? ""} while the database is away`,
            );
            assert.equal(r.code, "store-error", `${mode}: ${r.kind} said ${r.code}`);
          }
          assert.equal(
            server.child.exitCode,
            null,
            `${mode}: seatcap serve is still running\n${server.output().slice(-2000)}`,
          );
          await cluster.start();
          const up = Date.now();
          await until(
            () => load.since(up).some((r) => r.status === 200),
            20_000,
            `a success after the restart (${mode})`,
          );
          recoveries[mode] = load.since(up).find((r) => r.status === 200).end - up;
          const settled = Date.now();
          await until(
            () => load.since(settled).filter((r) => r.status === 200).length >= 50,
            20_000,
            `requests after the restart (${mode})`,
          );
          // Once recovered, every request succeeds again (a pool left holding dead connections would fail some).
          const later = load.since(settled + 200);
          assert.ok(
            later.every((r) => r.status === 200 || r.status === 207 || r.status === 403),
            `${mode}: after recovery: ${JSON.stringify(later.filter((r) => r.status >= 500).slice(0, 3))}`,
          );
        }
      } finally {
        await load.stop();
      }
      const results = load.results;
      console.log(
        `[postgres restart] ${results.length} requests; first success ${recoveries.fast} ms after a fast restart, ${recoveries.immediate} ms after an immediate one`,
      );

      const admin = api(server.url, TOKEN);
      const check = await admin.get("/v1/check");
      assert.equal(check.status, 200);
      assert.deepEqual(check.json.problems, [], "R14: the audit is clean");
      const seats = await admin.get("/v1/seats/activesync");
      const holders = new Set(seats.json.holders.map((h) => h.account));
      assert.ok(holders.size <= SEATS, "R14: within the licence");
      for (const account of granted(results))
        assert.ok(holders.has(account), `${account} was granted a seat and still holds it`);
      assert.equal(server.child.exitCode, null);
      await server.stop();
      // The operator sees a line per lost connection, not a crash dump.
      const output = server.output();
      assert.doesNotMatch(
        output,
        /Unhandled 'error' event|^\s+at /m,
        "no stack on the process's output",
      );
      const notes = output.split("\n").filter((line) => !/^\S+Z (GET|POST|PUT|DELETE) /.test(line));
      assert.ok(
        notes.length < 60,
        `a few lines besides the request log, not ${notes.length}:\n${notes.slice(0, 80).join("\n")}`,
      );
    });

    test("a database that stops answering (failover, the socket left open) answers store-error within the timeout, then recovers", async () => {
      const table = "resilience_hang";
      const seeding = await PostgresStore.open(cluster.url, { table });
      await seed(seeding);
      await seeding.close();
      const proxy = await startFreezableProxy(cluster.port);
      const url = cluster.url.replace(`:${cluster.port}/`, `:${proxy.port}/`);
      const server = await startServer({
        data: tempDir(),
        args: ["--postgres", url, "--admin-token", TOKEN],
        env: { SEATCAP_POSTGRES_TABLE: table, SEATCAP_POSTGRES_TIMEOUT_MS: "1500" },
      });
      const admin = api(server.url, TOKEN);
      try {
        assert.equal(
          (await admin.post("/v1/decide", { account: "u1@x.com", feature: "activesync" })).status,
          200,
        );
        proxy.freeze();
        const started = Date.now();
        const answers = await Promise.all(
          ["u2@x.com", "u3@x.com", "u1@x.com"].map((account) =>
            admin.post("/v1/decide", { account, feature: "activesync" }),
          ),
        );
        const took = Date.now() - started;
        for (const a of answers)
          assert.deepEqual([a.status, a.json?.error?.code], [503, "store-error"]);
        assert.ok(took < 10_000, `answered in ${took} ms, not held open`);
        proxy.thaw();
        await until(
          async () =>
            (await admin.post("/v1/decide", { account: "u2@x.com", feature: "activesync" }))
              .status === 200,
          15_000,
          "recovery after the failover",
        );
        const check = await admin.get("/v1/check");
        assert.deepEqual([check.status, check.json.problems], [200, []]);
        console.log(
          `[postgres failover] a hung database answered store-error in ${took} ms (timeout 1500 ms)`,
        );
      } finally {
        await server.stop();
        await proxy.close();
      }
    });
  });

/** How many answers of each kind, status and code. */
function summary(results) {
  const by = {};
  for (const r of results) {
    const k = `${r.kind} ${r.status} ${r.code ?? ""}${r.error ?? ""}`;
    by[k] = (by[k] ?? 0) + 1;
  }
  return by;
}

/**
 * A TCP proxy to PostgreSQL that can freeze: `freeze()` stops passing bytes on every connection
 * and leaves new ones unanswered, without closing anything, as a server that vanished does;
 * `thaw()` drops those connections (as the failed-over address would) and passes bytes again.
 */
async function startFreezableProxy(targetPort) {
  const { connect } = await import("node:net");
  const pairs = new Set();
  let frozen = false;
  const server = createServer((client) => {
    if (frozen) {
      pairs.add({ client, upstream: null });
      return;
    }
    const upstream = connect(targetPort, "127.0.0.1");
    const pair = { client, upstream };
    pairs.add(pair);
    client.on("data", (d) => !frozen && upstream.write(d));
    upstream.on("data", (d) => !frozen && client.write(d));
    const end = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    freeze() {
      frozen = true;
    },
    thaw() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream?.destroy();
      }
      pairs.clear();
      frozen = false;
    },
    close() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream?.destroy();
      }
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
