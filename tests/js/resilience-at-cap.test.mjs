// R5 `at-cap` over a large directory in a real `seatcap serve` (issue 13):
// the connect that takes the last seat marks every other eligible account in
// one commit, and meanwhile the server goes on answering — the Engine runs on
// a thread of its own (js/src/server/engine-thread.ts), so the sweep's work
// never holds the HTTP event loop. Before, `/v1/health` waited for the whole
// sweep (0.7 s at 20,000 accounts on this machine).
import assert from "node:assert/strict";
import { test } from "node:test";
import { api, startServer } from "./server-helpers.mjs";

const TOKEN = "at-cap-admin-token-0123456789";
const ACCOUNTS = 20_000;

test(`R5 at-cap over ${ACCOUNTS} accounts: one claim caps the rest while /v1/health keeps answering`, async () => {
  const server = await startServer({ args: ["--admin-token", TOKEN, "--dev"] });
  try {
    const admin = api(server.url, TOKEN);
    const seeded = await admin.post("/v1/import?replace=true", {
      licence: { mailboxes: null, features: { activesync: { seats: 1 } } },
      policy: { capping: "at-cap" },
      directory: {
        server: { activesync: "disabled" },
        domains: { "example.com": { settings: { activesync: "enabled" } } },
        generate: [{ domain: "example.com", count: ACCOUNTS, prefix: "user" }],
      },
    });
    assert.equal(seeded.status, 200, seeded.text);

    // Health, asked back to back for as long as the claim runs.
    const health = [];
    let claiming = true;
    const polling = (async () => {
      while (claiming) {
        const start = performance.now();
        const res = await fetch(`${server.url}/v1/health`);
        await res.arrayBuffer();
        assert.equal(res.status, 200);
        health.push(performance.now() - start);
      }
    })();
    const start = performance.now();
    const claim = await admin.post("/v1/decide", {
      account: "user1@example.com",
      feature: "activesync",
    });
    const claimMs = performance.now() - start;
    claiming = false;
    await polling;

    assert.equal(claim.status, 200, claim.text);
    assert.equal(claim.json.reason, "seat-claimed");
    const worst = Math.max(...health);
    console.log(
      `[at-cap serve] ${ACCOUNTS} accounts: the last-seat claim took ${claimMs.toFixed(0)} ms; ` +
        `/v1/health answered ${health.length} times meanwhile, slowest ${worst.toFixed(1)} ms`,
    );
    // Measured against the claim itself, so the bound holds on a slower machine: a loop held by
    // the sweep would make one health answer nearly as slow as the claim.
    assert.ok(health.length >= 5, `health answered ${health.length} times during the claim`);
    assert.ok(
      worst * 4 < claimMs,
      `the slowest health answer (${worst.toFixed(1)} ms) took over a quarter of the claim (${claimMs.toFixed(0)} ms)`,
    );

    // The sweep itself: every other account capped at once (R5), in the claim's commit.
    for (const id of ["user2@example.com", "user20000@example.com"]) {
      const view = (await admin.get(`/v1/accounts/${id}`)).json.features.activesync;
      assert.equal(view.setting, "disabled", `${id} is disabled by the sweep`);
      assert.equal(typeof view.cappedAt, "string", `${id} carries the capped marker`);
      assert.equal(view.seat, null);
    }
    const check = await admin.get("/v1/check");
    assert.deepEqual(check.json.problems, []);
  } finally {
    await server.stop();
  }
});
