// The ActiveSync gateway against mail-server stubs that behave the way real
// ones do (issue 12): one that closes every connection without saying so
// (SOGo), one that holds a Ping, one whose OPTIONS checks nothing, one that is
// down or slow. Each test is a defect the real SOGo/pyactivesync run found
// (tests/js/activesync-peers.test.mjs runs the real peers); `seatcap serve` is
// a real process on 127.0.0.1. SPEC rules are cited where a test checks one.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { connect as tlsConnect } from "node:tls";
import { after, before, describe, test } from "node:test";
import { selfSignedCertArgs } from "./helpers.mjs";
import { api, basic, pool, raw, startServer, startUpstream, tempDir } from "./server-helpers.mjs";
import {
  ADMIN,
  arrivals,
  AS,
  cappedOf,
  closingUpstream,
  eventually,
  gatewayServer,
  holdersOf,
  httpsGet,
  passwordOf,
  rawRequest,
  scenario,
  scriptedUpstream,
  sync,
} from "./gateway-helpers.mjs";

describe("issue 12 item 1: a mail server that closes every connection unannounced (SOGo's habit)", () => {
  let upstream;
  let gw;
  before(async () => {
    upstream = await closingUpstream();
    gw = await gatewayServer(upstream.url);
  });
  after(async () => {
    await gw?.server.stop();
    await upstream?.close();
  });

  test("300 requests, 16 at a time, from two holders: not one 502 (R3 through the gateway)", async () => {
    const statuses = await pool(
      Array.from({ length: 300 }, (_, i) => `a${(i % 2) + 1}@example.com`),
      16,
      async (account) => (await sync(gw.server.url, account)).status,
    );
    const counts = {};
    for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
    assert.deepEqual(counts, { 200: 300 }, `statuses: ${JSON.stringify(counts)}`);
    assert.deepEqual((await holdersOf(gw.admin)).map((h) => h.account).sort(), [
      "a1@example.com",
      "a2@example.com",
    ]);
  });
});

describe("issue 12 item 2: long-polls (ActiveSync Ping) are streamed, bounded only by --upstream-timeout, and cancelled with their client", () => {
  let upstream;
  let gw;
  let slow;
  before(async () => {
    upstream = await scriptedUpstream((req, res, _body, entry) => {
      if (passwordOf(req) !== "secret")
        return res.writeHead(401, { "www-authenticate": "Basic" }).end();
      if (req.method === "OPTIONS") return res.writeHead(200).end();
      const cmd = new URL(req.url, "http://x").searchParams.get("Cmd");
      if (cmd === "Ping") {
        // The head and a first chunk now, the rest 1.5 s later: a proxy that buffers shows the first chunk late.
        res.writeHead(200, { "content-type": "application/vnd.ms-sync.wbxml" });
        res.write("first;");
        setTimeout(() => res.end("last"), 1500);
      } else if (cmd === "Silent") {
        entry.held = true; // never answers; the gateway's timeout or the client gives up
      } else res.writeHead(200).end("ok");
    });
    gw = await gatewayServer(upstream.url);
    slow = await startServer({
      args: [
        "--dev",
        "--admin-token",
        ADMIN,
        "--upstream",
        upstream.url,
        "--upstream-timeout",
        "1",
      ],
    });
    assert.equal(
      (await api(slow.url, ADMIN).post("/v1/import?replace=true", scenario)).status,
      200,
    );
  });
  after(async () => {
    await gw?.server.stop();
    await slow?.stop();
    await upstream?.close();
  });

  test("the first bytes of a Ping reach the client before the mail server finishes it", async () => {
    assert.equal((await sync(gw.server.url, "a1@example.com")).status, 200, "a1 holds a seat");
    const started = Date.now();
    const res = await fetch(`${gw.server.url}${AS}?Cmd=Ping&DeviceId=d1`, {
      method: "POST",
      headers: { authorization: basic("a1@example.com") },
      body: "ping",
    });
    const times = await arrivals(res, started);
    assert.equal(times.at(-1).text, "first;last");
    assert.ok(
      times[0].text.startsWith("first;") && times[0].at < 1000,
      `first chunk at ${times[0].at} ms: ${JSON.stringify(times)}`,
    );
    assert.ok(times.at(-1).at >= 1400, "the rest only when the mail server sent it");
  });

  test("the default upstream timeout is an hour and more (EAS heartbeats go to 3540 s); a shorter one gives 504 and nothing else", async () => {
    const { parseConfig } = await import("../../dist/server.mjs");
    assert.ok(parseConfig([], {}).upstreamTimeoutMs >= 3_600_000);
    const admin = api(slow.url, ADMIN);
    assert.equal((await sync(slow.url, "a3@example.com")).status, 200);
    const before = upstream.seen.length;
    const res = await raw(`${slow.url}${AS}?Cmd=Silent&DeviceId=d1`, {
      method: "POST",
      headers: { authorization: basic("a3@example.com") },
      body: Buffer.from("x"),
    });
    assert.equal(res.status, 504);
    assert.equal(res.headers["x-seatcap-reason"], "upstream-timeout");
    assert.doesNotMatch(
      res.body.toString(),
      /127\.0\.0\.1/,
      "the mail server's address is not shown",
    );
    assert.equal(upstream.seen.length, before + 1);
    assert.ok((await holdersOf(admin)).some((h) => h.account === "a3@example.com"));
  });

  test("a client that goes away cancels its request to the mail server", async () => {
    const controller = new AbortController();
    const before = upstream.seen.length;
    const pending = fetch(`${gw.server.url}${AS}?Cmd=Silent&DeviceId=d1`, {
      method: "POST",
      headers: { authorization: basic("a1@example.com") },
      body: "x",
      signal: controller.signal,
    });
    const entry = await eventually(() => upstream.seen.length > before && upstream.seen.at(-1));
    assert.ok(entry?.held, "the request reached the mail server");
    controller.abort();
    await assert.rejects(pending);
    assert.ok(
      await eventually(() => entry.closed),
      "the upstream request was closed when the client left",
    );
  });
});

describe("issue 12 items 3, 4, 6, 7: strangers learn nothing and keep no seat alive; the cap can't be ridden", () => {
  let upstream;
  let gw;
  before(async () => {
    upstream = await startUpstream();
    gw = await gatewayServer(upstream.url);
    // a1, a2 hold the two seats; a3 is capped (R4, R5).
    for (const a of ["a1", "a2"])
      assert.equal((await sync(gw.server.url, `${a}@example.com`)).status, 207);
    const capped = await sync(gw.server.url, "a3@example.com");
    assert.equal(capped.status, 403);
    assert.equal(capped.headers["x-seatcap-reason"], "capped");
  });
  after(async () => {
    await gw?.server.stop();
    await upstream?.close();
  });

  test("item 3: with a wrong password, an unknown, a disabled and a capped account all get the mail server's own 401 — with the right one, the reason", async () => {
    for (const [account, reason] of [
      ["nobody@example.com", "unknown-account"],
      ["off@example.com", "disabled"],
      ["a3@example.com", "capped"],
      ["a4@example.com", "capped"],
    ]) {
      const stranger = await sync(gw.server.url, account, "guess");
      assert.equal(stranger.status, 401, account);
      assert.equal(
        stranger.headers["x-upstream"],
        "refused",
        `${account}: the mail server's answer`,
      );
      assert.equal(
        stranger.headers["x-seatcap-reason"],
        undefined,
        `${account}: seatcap says nothing`,
      );
      if (account !== "a4@example.com") {
        const owner = await sync(gw.server.url, account);
        assert.equal(owner.status, 403, account);
        assert.equal(owner.headers["x-seatcap-reason"], reason);
      }
    }
    assert.equal(
      await cappedOf(gw.admin, "a4@example.com"),
      null,
      "a stranger's request capped no one (R5 needs accepted credentials)",
    );
  });

  test("item 4: a holder's request the mail server refuses moves no lastSeen (R3 only for accepted requests)", async () => {
    const lastSeen = async () =>
      (await holdersOf(gw.admin)).find((h) => h.account === "a1@example.com").lastSeen;
    const before = await lastSeen();
    await new Promise((r) => setTimeout(r, 1100));
    for (let i = 0; i < 3; i++)
      assert.equal((await sync(gw.server.url, "a1@example.com", "guess")).status, 401);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await lastSeen(), before, "refused requests keep the seat's lastSeen");
    assert.equal((await sync(gw.server.url, "a1@example.com")).status, 207);
    assert.ok(
      await eventually(async () => (await lastSeen()) !== before),
      "an accepted request moves it",
    );
  });

  test("item 7: Bearer, Negotiate, NTLM, junk after Basic, two Authorization headers — none rides a holder's seat via ?User=", async () => {
    const a3 = Buffer.from("a3@example.com:secret").toString("base64");
    const cases = {
      bearer: ["Bearer eyJhbGciOi.capped-users-token"],
      negotiate: [
        "Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnagMDAuBgkqhkiC9xIBAgIGCSqGSIb3EgECAgYKKwYBBAGCNwICHgYKKwYBBAGCNwICCqKCBkAEggY8",
      ],
      ntlm: ["NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAGAbEdAAAADw=="],
      "basic with junk": [`Basic ${a3} junk`],
      "two headers": [`Basic ${a3}`, basic("a1@example.com", "guess")],
    };
    const before = upstream.real().length;
    for (const [name, values] of Object.entries(cases)) {
      for (const user of ["a1@example.com", undefined]) {
        const query = user ? `&User=${encodeURIComponent(user)}` : "";
        const res = await rawRequest(
          gw.server.url,
          `${AS}?Cmd=Sync${query}&DeviceId=d3`,
          values.map((v) => ["Authorization", v]),
        );
        assert.equal(res.status, 401, `${name}${query}: ${res.body}`);
        assert.match(res.headers["www-authenticate"] ?? "", /^Basic /, name);
      }
    }
    assert.equal(upstream.real().length, before, "not one reached the mail server");
  });

  test("items 6/7: after an administrator frees a seat, the capped account is told an administrator must enable it — and then it syncs (R7, R6)", async () => {
    assert.equal(
      (
        await gw.admin.put("/v1/settings", {
          node: "account:a2@example.com",
          feature: "activesync",
          value: "disabled",
        })
      ).status,
      200,
    );
    const told = await sync(gw.server.url, "a3@example.com");
    assert.equal(told.status, 403);
    assert.equal(told.headers["x-seatcap-reason"], "capped");
    const text = told.body.toString();
    assert.match(text, /1 of 2 seats are free now/, text);
    assert.match(text, /administrator must enable it/, text);
    assert.doesNotMatch(text, /every seat of the licence is taken/);
    assert.equal(
      (
        await gw.admin.put("/v1/settings", {
          node: "account:a3@example.com",
          feature: "activesync",
          value: "enabled",
        })
      ).status,
      200,
    );
    assert.equal((await sync(gw.server.url, "a3@example.com")).status, 207);
  });
});

describe("issue 12 item 5 and 8: claims and caps only for credentials the mail server accepted, failing closed", () => {
  const servers = [];
  after(async () => {
    for (const s of servers) await s.close();
  });
  async function setUp(behave, extra = []) {
    const upstream = await scriptedUpstream(behave);
    const gw = await gatewayServer(upstream.url, extra);
    servers.push({
      close: async () => {
        await gw.server.stop();
        await upstream.close();
      },
    });
    return { upstream, ...gw };
  }
  const nothingWritten = async (admin) => {
    assert.deepEqual(await holdersOf(admin), [], "no seat taken");
    for (const a of ["a1", "a2", "a3"])
      assert.equal(await cappedOf(admin, `${a}@example.com`), null, `${a} not capped`);
  };

  test("the mail server is down: 502, no seat taken, nobody capped", async () => {
    const closed = await scriptedUpstream(() => {});
    const url = closed.url;
    await closed.close();
    const gw = await gatewayServer(url);
    servers.push({ close: () => gw.server.stop() });
    for (const a of ["a1", "a2", "a3"]) {
      const res = await sync(gw.server.url, `${a}@example.com`);
      assert.equal(res.status, 502, a);
      assert.doesNotMatch(
        res.body.toString(),
        /127\.0\.0\.1|:\d{4,5}/,
        "no upstream address in the body",
      );
    }
    await nothingWritten(gw.admin);
  });

  test("the mail server is slow to check credentials: 504 after --probe-timeout, nothing written", async () => {
    const { admin, server } = await setUp(() => {}, ["--probe-timeout", "1"]);
    const res = await sync(server.url, "a1@example.com");
    assert.equal(res.status, 504);
    await nothingWritten(admin);
  });

  test("OPTIONS answered without checking credentials: wrong passwords take no seat, the real user then claims one", async () => {
    const { admin, server, upstream } = await setUp((req, res) => {
      if (req.method === "OPTIONS")
        return res.writeHead(200, { "ms-asprotocolversions": "14.1" }).end();
      if (passwordOf(req) !== "secret")
        return res.writeHead(401, { "www-authenticate": "Basic" }).end("refused");
      res.writeHead(200).end("ok");
    });
    for (let i = 0; i < 3; i++)
      assert.equal((await sync(server.url, `a${i + 1}@example.com`, "guess")).status, 401);
    await nothingWritten(admin);
    assert.equal(
      (await sync(server.url, "a1@example.com")).status,
      200,
      "R4: the real user claims",
    );
    assert.equal((await sync(server.url, "a2@example.com")).status, 200);
    assert.deepEqual(
      (await holdersOf(admin)).map((h) => h.account),
      ["a1@example.com", "a2@example.com"],
    );
    // A cap can't be verified by a request that must not reach the mail server: 503, nothing written.
    const before = upstream.real().length;
    const capped = await sync(server.url, "a3@example.com");
    assert.equal(capped.status, 503);
    assert.equal(capped.headers["x-seatcap-reason"], "unverified");
    assert.equal(await cappedOf(admin, "a3@example.com"), null);
    assert.equal(
      upstream.real().length,
      before,
      "the capped account's request never reached the mail server",
    );
  });

  test("a wrong password against a mail server that checks OPTIONS: no seat, no cap, the mail server's 401", async () => {
    const { admin, server, upstream } = await setUp((req, res) => {
      if (passwordOf(req) !== "secret")
        return res.writeHead(401, { "www-authenticate": "Basic", "x-upstream": "refused" }).end();
      res.writeHead(200).end("ok");
    });
    for (const a of ["a1", "a2", "a3"]) {
      const res = await sync(server.url, `${a}@example.com`, "guess");
      assert.equal(res.status, 401);
      assert.equal(res.headers["x-upstream"], "refused");
    }
    await nothingWritten(admin);
    assert.equal(upstream.real().length, 0, "only probes reached the mail server");
  });
});

describe("issue 12 item 6: login names and item 5: what the mail server is told", () => {
  let upstream;
  let gw;
  before(async () => {
    upstream = await startUpstream();
    gw = await gatewayServer(upstream.url, [
      "--default-domain",
      "example.com",
      "--netbios",
      "EXAMPLE=example.com",
    ]);
  });
  after(async () => {
    await gw?.server.stop();
    await upstream?.close();
  });

  test("`a1` and `EXAMPLE\\a2` are accounts of example.com; an unknown NetBIOS name is refused (case folded, SPEC ids)", async () => {
    assert.equal((await sync(gw.server.url, "A1")).status, 207);
    assert.equal((await sync(gw.server.url, "example\\a2")).status, 207);
    assert.deepEqual(
      (await holdersOf(gw.admin)).map((h) => h.account),
      ["a1@example.com", "a2@example.com"],
    );
    const other = await sync(gw.server.url, "OTHER\\a3");
    assert.equal(other.status, 401);
    assert.equal(
      upstream
        .real()
        .filter((r) =>
          Buffer.from(r.headers.authorization.slice(6), "base64").toString().startsWith("OTHER"),
        ).length,
      0,
    );
  });

  test("X-Forwarded-* from an untrusted caller is replaced; the head comes back as the mail server sent it", async () => {
    const res = await raw(`${gw.server.url}${AS}?Cmd=Sync`, {
      method: "POST",
      headers: {
        authorization: basic("a1@example.com"),
        "x-forwarded-proto": "https",
        "x-forwarded-for": "203.0.113.9",
        "x-forwarded-host": "evil.example",
      },
      body: Buffer.from("b"),
    });
    assert.equal(res.status, 207);
    const got = upstream.real().at(-1).headers;
    assert.equal(got["x-forwarded-proto"], "http");
    assert.equal(got["x-forwarded-for"], "127.0.0.1");
    assert.notEqual(got["x-forwarded-host"], "evil.example");
    assert.equal(res.message, "Multi-Status Upstream", "the status text as sent");
    const names = res.rawHeaders.filter((_, i) => i % 2 === 0);
    const upstreamOrder = [
      "Content-Type",
      "Content-Encoding",
      "Set-Cookie",
      "Set-Cookie",
      "X-Upstream-Body-Sha256",
    ];
    assert.deepEqual(
      names.filter((n) => upstreamOrder.includes(n)),
      upstreamOrder,
      `names and order as sent: ${names}`,
    );
  });

  test("--trust-proxy loopback keeps a TLS terminator's X-Forwarded-Proto: https and the chain", async () => {
    const trusting = await gatewayServer(upstream.url, ["--trust-proxy", "loopback"]);
    try {
      const res = await raw(`${trusting.server.url}${AS}?Cmd=Sync`, {
        method: "POST",
        headers: {
          authorization: basic("a1@example.com"),
          "x-forwarded-proto": "https",
          "x-forwarded-for": "203.0.113.9",
          "x-forwarded-host": "mail.example.com",
        },
        body: Buffer.from("b"),
      });
      assert.equal(res.status, 207);
      const got = upstream.real().at(-1).headers;
      assert.equal(got["x-forwarded-proto"], "https");
      assert.equal(got["x-forwarded-for"], "203.0.113.9, 127.0.0.1");
      assert.equal(got["x-forwarded-host"], "mail.example.com");
    } finally {
      await trusting.server.stop();
    }
  });
});

describe("issue 12 item 2 (TLS): serve --tls-cert/--tls-key, reloaded on SIGHUP", () => {
  test("HTTPS through the gateway, and a new certificate after SIGHUP", async () => {
    const dir = tempDir("seatcap-tls-");
    const cert = path.join(dir, "cert.pem");
    const key = path.join(dir, "key.pem");
    const make = (cn) =>
      execFileSync("openssl", selfSignedCertArgs({ key, cert, cn }), { stdio: "ignore" });
    make("first");
    const upstream = await startUpstream();
    const server = await startServer({
      args: [
        "--dev",
        "--admin-token",
        ADMIN,
        "--upstream",
        upstream.url,
        "--tls-cert",
        cert,
        "--tls-key",
        key,
      ],
    });
    try {
      assert.match(server.url, /^https:\/\//);
      const peer = () =>
        new Promise((resolve, reject) => {
          const socket = tlsConnect(
            {
              host: "127.0.0.1",
              port: Number(new URL(server.url).port),
              ca: readFileSync(cert),
              servername: undefined,
              rejectUnauthorized: false,
            },
            () => {
              resolve(socket.getPeerCertificate().subject.CN);
              socket.end();
            },
          );
          socket.on("error", reject);
        });
      assert.equal(await peer(), "first");
      const health = await httpsGet(`${server.url}/v1/health`, readFileSync(cert));
      assert.equal(health.status, 200);
      make("second");
      server.child.kill("SIGHUP");
      assert.equal(
        await eventually(async () => ((await peer()) === "second" ? "second" : undefined)),
        "second",
      );
      assert.match(server.output(), /TLS certificate reloaded/);
      writeFileSync(cert, "not a certificate");
      server.child.kill("SIGHUP");
      assert.ok(
        await eventually(() => /not reloaded/.test(server.output())),
        "a bad file keeps the old certificate",
      );
      assert.equal(await peer(), "second");
    } finally {
      await server.stop();
      await upstream.close();
    }
  });
});
