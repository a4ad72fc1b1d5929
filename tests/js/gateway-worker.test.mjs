// The gateway suite of tests/js/gateway.test.mjs through the Cloudflare
// Worker, in a real workerd (miniflare), against the same mail-server stubs
// (issue 12: "the same gateway suite through the Worker where the runtime
// allows"). What differs from the Node host, and so is not asserted here:
// the status text and header order of responses are the runtime's (a fetch
// Response keeps neither), TLS and X-Forwarded-* trust belong to Cloudflare's
// edge (the caller's address is CF-Connecting-IP), and the upstream timeout
// is the platform's, not --upstream-timeout.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { bundleWorker, startWorker } from "../../edge/cloudflare/local.mjs";
import {
  ADMIN,
  arrivals,
  AS,
  cappedOf,
  closingUpstream,
  eventually,
  holdersOf,
  passwordOf,
  rawRequest,
  scenario,
  scriptedUpstream,
  sync as syncKept,
} from "./gateway-helpers.mjs";

// One connection per request: workerd closes a kept-alive connection after a response that left the
// request body unread (every denial), and Node's pooled socket would then fail the next request.
const sync = (base, account, password, headers = {}) =>
  syncKept(base, account, password, headers, false);
import { api, pool } from "./server-helpers.mjs";

const work = mkdtempSync(path.join(tmpdir(), "seatcap-gateway-worker-"));
let bundle;
const running = [];

before(async () => {
  bundle = await bundleWorker(path.join(work, "bundle"));
});
after(async () => {
  for (const w of running) await w.dispose();
});

/** The Worker in front of `upstreamUrl`, with the gateway tests' scenario imported (dev mode: an unsigned licence). */
async function workerGateway(upstreamUrl) {
  const worker = await startWorker({
    bundle,
    persist: path.join(work, `do-${running.length}`),
    secrets: { SEATCAP_ADMIN_TOKENS: ADMIN, SEATCAP_UPSTREAM: upstreamUrl, SEATCAP_DEV: "1" },
  });
  running.push(worker);
  const admin = api(worker.url, ADMIN);
  const imported = await admin.post("/v1/import?replace=true", scenario);
  assert.equal(imported.status, 200, imported.text);
  return { url: worker.url, admin };
}

describe("the gateway through the Worker (workerd)", () => {
  test("item 1: a mail server that closes every connection unannounced — 300 requests, 16 at a time, not one 502", async () => {
    const upstream = await closingUpstream();
    try {
      const gw = await workerGateway(upstream.url);
      const statuses = await pool(
        Array.from({ length: 300 }, (_, i) => `a${(i % 2) + 1}@example.com`),
        16,
        async (account) => (await sync(gw.url, account)).status,
      );
      const counts = {};
      for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
      // What differs: workerd's fetch reuses connections and has no switch to stop it, so against a
      // server that closes them unannounced a few requests meet a dead one ("Network connection
      // lost"). Those answer 502 — never a wrong decision, never a write — and the client retries.
      // seatcap serve opens a fresh connection per request instead and shows none (gateway.test.mjs).
      const failed = statuses.filter((s) => s !== 200);
      assert.ok(
        failed.every((s) => s === 502),
        JSON.stringify(counts),
      );
      assert.ok(
        failed.length <= 15,
        `at most 5% meet a dead connection: ${JSON.stringify(counts)}`,
      );
      console.log(
        `# through workerd: ${JSON.stringify(counts)} of 300 against a server that closes every connection`,
      );
      assert.deepEqual((await holdersOf(gw.admin)).map((h) => h.account).sort(), [
        "a1@example.com",
        "a2@example.com",
      ]);
    } finally {
      await upstream.close();
    }
  });

  test("item 2: a Ping's first bytes reach the client before the mail server finishes it", async () => {
    const upstream = await scriptedUpstream((req, res) => {
      if (passwordOf(req) !== "secret")
        return res.writeHead(401, { "www-authenticate": "Basic" }).end();
      if (req.method === "OPTIONS") return res.writeHead(200).end();
      res.writeHead(200, { "content-type": "application/vnd.ms-sync.wbxml" });
      res.write("first;");
      setTimeout(() => res.end("last"), 1500);
    });
    try {
      const gw = await workerGateway(upstream.url);
      const started = Date.now();
      const res = await fetch(`${gw.url}${AS}?Cmd=Ping&DeviceId=d1`, {
        method: "POST",
        headers: {
          authorization: `Basic ${Buffer.from("a1@example.com:secret").toString("base64")}`,
        },
        body: "ping",
      });
      assert.equal(res.status, 200);
      const seen = await arrivals(res, started);
      const text = seen.at(-1).text;
      assert.equal(text, "first;last");
      assert.ok(seen[0].at < 1200 && seen[0].text.startsWith("first;"), JSON.stringify(seen));
    } finally {
      await upstream.close();
    }
  });

  describe("items 3, 4, 7: strangers learn nothing, keep no seat alive, and can't ride a holder's seat", () => {
    let upstream;
    let gw;
    before(async () => {
      // Not startUpstream: its gzip body is deliberately not valid gzip, and workerd decodes bodies
      // (byte-exact passing of encoded bodies is a Node-host promise).
      upstream = await scriptedUpstream((req, res) => {
        if (passwordOf(req) !== "secret")
          return res
            .writeHead(401, { "www-authenticate": 'Basic realm="mail"', "x-upstream": "refused" })
            .end();
        if (req.method === "OPTIONS") return res.writeHead(200).end();
        res.writeHead(207, { "content-type": "application/vnd.ms-sync.wbxml" }).end("ok");
      });
      gw = await workerGateway(upstream.url);
      for (const a of ["a1", "a2"])
        assert.equal((await sync(gw.url, `${a}@example.com`)).status, 207);
      assert.equal((await sync(gw.url, "a3@example.com")).headers["x-seatcap-reason"], "capped");
    });
    after(() => upstream?.close());

    test("item 3: wrong passwords get the mail server's own 401 for unknown, disabled and capped accounts", async () => {
      for (const account of [
        "nobody@example.com",
        "off@example.com",
        "a3@example.com",
        "a4@example.com",
      ]) {
        const res = await sync(gw.url, account, "guess");
        assert.equal(res.status, 401, account);
        assert.equal(res.headers["x-upstream"], "refused", account);
        assert.equal(res.headers["x-seatcap-reason"], undefined, account);
      }
      assert.equal(await cappedOf(gw.admin, "a4@example.com"), null);
    });

    test("item 4: a refused request moves no lastSeen; an accepted one does (after the response, through waitUntil)", async () => {
      const lastSeen = async () =>
        (await holdersOf(gw.admin)).find((h) => h.account === "a1@example.com").lastSeen;
      const before = await lastSeen();
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal((await sync(gw.url, "a1@example.com", "guess")).status, 401);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await lastSeen(), before);
      assert.equal((await sync(gw.url, "a1@example.com")).status, 207);
      assert.ok(await eventually(async () => (await lastSeen()) !== before));
    });

    test("item 7: Bearer, Negotiate, NTLM and junk after Basic with ?User= naming a holder go nowhere", async () => {
      const a3 = Buffer.from("a3@example.com:secret").toString("base64");
      const before = upstream.real().length;
      for (const value of [
        "Bearer token",
        "Negotiate YII=",
        "NTLM TlRMTVNTUAAB",
        `Basic ${a3} junk`,
      ]) {
        const res = await rawRequest(gw.url, `${AS}?Cmd=Sync&User=a1%40example.com`, [
          ["Authorization", value],
        ]);
        assert.equal(res.status, 401, value);
      }
      assert.equal(upstream.real().length, before);
    });
  });

  test("item 8: the mail server is down — 502, no seat taken, nobody capped", async () => {
    const closed = await scriptedUpstream(() => {});
    const url = closed.url;
    await closed.close();
    const gw = await workerGateway(url);
    for (const a of ["a1", "a2", "a3"])
      assert.equal((await sync(gw.url, `${a}@example.com`)).status, 502, a);
    assert.deepEqual(await holdersOf(gw.admin), []);
    for (const a of ["a1", "a2", "a3"])
      assert.equal(await cappedOf(gw.admin, `${a}@example.com`), null);
  });
});
