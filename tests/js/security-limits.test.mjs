// Abuse defences and hardening of the edge server, in-process through
// createHandler (and a real node:http server for the connection bounds):
// rates per address, token and account (429 + Retry-After), the bad-token
// lockout, upstream concurrency (503), paths a server behind could resolve
// differently, JSON depth and BOMs, one status for `conflict`, and error
// bodies that tell a caller nothing about the machinery (issue 13).
import assert from "node:assert/strict";
import { createServer, request as httpRequest } from "node:http";
import { connect } from "node:net";
import { describe, test } from "node:test";
import { Engine, MemoryStore } from "../../dist/node.mjs";
import {
  boundServer,
  createHandler,
  isSafePath,
  Limits,
  nodeServerOptions,
  parseConfig,
  statusOf,
  Tokens,
  upstreamFailure,
} from "../../dist/server.mjs";

const T0 = Date.parse("2026-03-01T00:00:00Z");
const ADMIN = "admin-token-0123456789";
const OTHER_ADMIN = "admin-token-abcdefghij";
const DOMAIN_A = "domain-a-token-0123456789";
const GATEWAY = "gateway-token-0123456789";

const scenario = () => ({
  licence: { mailboxes: null, features: { activesync: { seats: 2 } } },
  directory: {
    server: { activesync: "enabled" },
    domains: { "a.test": {}, "b.test": {} },
    accounts: [{ id: "x@a.test" }, { id: "y@b.test" }],
  },
});

/** A handler over a fresh seeded engine; `forward` records what reached the "mail server". */
async function setup({ limits, engine } = {}) {
  const e = engine ?? new Engine(new MemoryStore(), { now: () => T0 });
  if (!engine) assert.deepEqual(await e.importScenario(scenario()), { ok: true });
  const forwarded = [];
  const handler = createHandler({
    engine: e,
    tokens: await Tokens.from({
      serverAdmin: [ADMIN, OTHER_ADMIN],
      domainAdmin: { "a.test": [DOMAIN_A] },
      gateway: [GATEWAY],
    }),
    gateway: {
      upstream: new URL("http://mail.invalid/"),
      forward: async (request) => {
        forwarded.push(`${request.method} ${new URL(request.url).pathname}`);
        return new Response("ok", { status: 200 });
      },
    },
    licence: { trustedKeys: [], devMode: true },
    limits,
  });
  const call = (route, { token, method = "GET", body, address, headers = {} } = {}) =>
    handler.fetch(
      new Request(`http://seatcap.test${route}`, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
        body:
          body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      }),
      address === undefined ? {} : { address },
    );
  return { engine: e, handler, call, forwarded };
}

async function assert429(response, what) {
  assert.equal(response.status, 429, what);
  const wait = Number(response.headers.get("retry-after"));
  assert.ok(
    Number.isInteger(wait) && wait >= 1,
    `${what}: Retry-After is whole seconds ≥ 1, got ${response.headers.get("retry-after")}`,
  );
  return response;
}

describe("rate limits answer 429 with Retry-After", () => {
  test("per client address: gateway and API alike; other addresses, loopback and /v1/health are not counted", async () => {
    const { call } = await setup({ limits: { perAddress: 3 } });
    for (let i = 0; i < 3; i++)
      assert.equal((await call("/v1/whoami", { token: ADMIN, address: "192.0.2.7" })).status, 200);
    const api = await assert429(
      await call("/v1/whoami", { token: ADMIN, address: "192.0.2.7" }),
      "4th API request",
    );
    assert.equal((await api.json()).error.code, "rate-limited");
    const gw = await assert429(
      await call("/Microsoft-Server-ActiveSync?Cmd=Sync", { method: "POST", address: "192.0.2.7" }),
      "gateway after the budget",
    );
    assert.match(await gw.text(), /^seatcap: too many requests from this address/);
    assert.equal(
      (await call("/v1/health", { address: "192.0.2.7" })).status,
      200,
      "a load balancer's probe is never limited",
    );
    assert.equal(
      (await call("/v1/whoami", { token: ADMIN, address: "192.0.2.8" })).status,
      200,
      "another address has its own budget",
    );
    assert.equal(
      (await call("/v1/whoami", { token: ADMIN, address: "::ffff:192.0.2.7" })).status,
      429,
      "IPv4-mapped IPv6 is the same address",
    );
    for (let i = 0; i < 10; i++)
      assert.equal(
        (await call("/v1/whoami", { token: ADMIN, address: "127.0.0.1" })).status,
        200,
        "loopback (a local proxy) is not one client",
      );
  });

  test("IPv6 addresses are counted by /64, so one subscriber can't rotate through its prefix", async () => {
    const { call } = await setup({ limits: { perAddress: 2 } });
    assert.equal(
      (await call("/v1/whoami", { token: ADMIN, address: "2001:db8:1:2::1" })).status,
      200,
    );
    assert.equal(
      (await call("/v1/whoami", { token: ADMIN, address: "2001:db8:1:2:ffff::9" })).status,
      200,
    );
    await assert429(
      await call("/v1/whoami", { token: ADMIN, address: "2001:0db8:0001:0002:aaaa::1" }),
      "third address of the same /64",
    );
    assert.equal(
      (await call("/v1/whoami", { token: ADMIN, address: "2001:db8:1:3::1" })).status,
      200,
      "the next /64 is someone else",
    );
  });

  test("per token: one token's budget is its own; POST /v1/decide (a gateway's every connect) is not counted", async () => {
    const { call } = await setup({ limits: { perToken: 2 } });
    for (let i = 0; i < 2; i++)
      assert.equal((await call("/v1/seats", { token: ADMIN })).status, 200);
    const r = await assert429(
      await call("/v1/seats", { token: ADMIN }),
      "3rd request with one token",
    );
    assert.match((await r.json()).error.message, /too many requests with this token/);
    assert.equal(
      (await call("/v1/seats", { token: OTHER_ADMIN })).status,
      200,
      "a second admin token has its own budget",
    );
    for (let i = 0; i < 5; i++) {
      const d = await call("/v1/decide", {
        token: GATEWAY,
        method: "POST",
        body: { account: "x@a.test", feature: "activesync" },
      });
      assert.equal(
        d.status,
        200,
        "decide is a service call, limited per account by the caller's own users",
      );
    }
  });

  test("per account and credentials: a stranger naming the account spends its own budget, never the owner's", async () => {
    const limits = new Limits({ perAccount: 2 });
    const owner = "Basic b3duZXI6cmlnaHQ=";
    const stranger = "Basic b3duZXI6d3Jvbmc=";
    assert.equal(await limits.account("x@a.test", owner), undefined);
    for (let i = 0; i < 5; i++) await limits.account("x@a.test", stranger);
    const flooded = await limits.account("X@A.test", stranger);
    await assert429(flooded, "the stranger is limited");
    assert.match(await flooded.text(), /too many requests for X@A\.test/);
    assert.equal(
      await limits.account("x@a.test", owner),
      undefined,
      "the owner's second request still goes",
    );
    await assert429(
      await limits.account("x@A.TEST", owner),
      "the owner's third (ids compare lower-cased)",
    );
  });

  test("0 turns a limit off; flags and the environment set them", async () => {
    const { call } = await setup({ limits: { perAddress: 0, perToken: 0 } });
    for (let i = 0; i < 50; i++)
      assert.equal((await call("/v1/whoami", { token: ADMIN, address: "192.0.2.9" })).status, 200);
    const c = parseConfig(
      [
        "--rate-per-address",
        "7",
        "--rate-per-token=0",
        "--lockout-after",
        "4",
        "--max-upstream",
        "9",
        "--max-connections",
        "77",
      ],
      { SEATCAP_RATE_PER_ACCOUNT: "5", SEATCAP_MAX_UPSTREAM_PER_ACCOUNT: "3" },
    );
    assert.deepEqual(c.limits, {
      perAddress: 7,
      perAccount: 5,
      perToken: 0,
      lockoutAfter: 4,
      maxUpstream: 9,
      maxUpstreamPerAccount: 3,
    });
    assert.equal(c.maxConnections, 77);
    assert.deepEqual(parseConfig([], {}).limits, {}, "unset: the defaults");
    assert.throws(
      () => parseConfig(["--rate-per-token", "-1"], {}),
      /--rate-per-token: expected a whole number/,
    );
  });
});

describe("repeated bad tokens lock the address out of the API", () => {
  test("after `lockoutAfter` bad tokens every request from the address is refused, a good token's too; others are not", async () => {
    const { call } = await setup({ limits: { lockoutAfter: 3, lockoutSeconds: 60 } });
    const from = "198.51.100.4";
    for (let i = 0; i < 5; i++)
      assert.equal(
        (await call("/v1/whoami", { address: from })).status,
        401,
        "no token at all is not a guess",
      );
    assert.equal((await call("/v1/whoami", { token: ADMIN, address: from })).status, 200);
    for (let i = 0; i < 2; i++)
      assert.equal(
        (await call("/v1/whoami", { token: `guess-${i}-0123456789abcdef`, address: from })).status,
        401,
      );
    assert.equal(
      (
        await call("/v1/whoami", {
          headers: { authorization: "Basic Zm9vOmJhcg==" },
          address: from,
        })
      ).status,
      401,
      "an unreadable header counts too",
    );
    const locked = await assert429(
      await call("/v1/whoami", { token: ADMIN, address: from }),
      "the good token from a locked-out address",
    );
    assert.ok(
      Number(locked.headers.get("retry-after")) > 50,
      "Retry-After is the lockout's length",
    );
    assert.match((await locked.json()).error.message, /too many bad tokens from this address/);
    assert.equal(
      (await call("/v1/whoami", { token: ADMIN, address: "198.51.100.5" })).status,
      200,
      "another address is not locked",
    );
    // A lockout answers the same whatever the token: a guesser learns nothing from a lucky guess.
    const guessed = await call("/v1/whoami", { token: DOMAIN_A, address: from });
    assert.equal(guessed.status, 429);
    // Loopback is a proxy on the same host (all its clients share it): never locked out.
    for (let i = 0; i < 6; i++)
      await call("/v1/whoami", { token: `guess-${i}-0123456789abcdef`, address: "127.0.0.1" });
    assert.equal((await call("/v1/whoami", { token: ADMIN, address: "127.0.0.1" })).status, 200);
  });

  test("the lockout ends after lockoutSeconds", async () => {
    const { call } = await setup({ limits: { lockoutAfter: 1, lockoutSeconds: 1 } });
    assert.equal(
      (await call("/v1/whoami", { token: "wrong-token-0123456789", address: "203.0.113.1" }))
        .status,
      401,
    );
    assert.equal((await call("/v1/whoami", { token: ADMIN, address: "203.0.113.1" })).status, 429);
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await call("/v1/whoami", { token: ADMIN, address: "203.0.113.1" })).status, 200);
  });
});

describe("upstream concurrency is bounded (503 + Retry-After); a slot lasts as long as its request", () => {
  test("in total and per account with one set of credentials; release is idempotent", async () => {
    const limits = new Limits({ maxUpstream: 3, maxUpstreamPerAccount: 2 });
    const a = await limits.upstreamSlot("x@a.test", "Basic a");
    const b = await limits.upstreamSlot("x@a.test", "Basic a");
    assert.equal(typeof a, "function");
    const third = await limits.upstreamSlot("x@a.test", "Basic a");
    assert.equal(third.status, 503);
    assert.equal(third.headers.get("retry-after"), "5");
    assert.match(await third.text(), /too many requests in progress for x@a\.test/);
    const stranger = await limits.upstreamSlot("x@a.test", "Basic wrong");
    assert.equal(
      typeof stranger,
      "function",
      "a stranger's requests can't use up the owner's slots, nor the owner's the stranger's",
    );
    const full = await limits.upstreamSlot("y@b.test", "Basic y");
    assert.equal(full.status, 503, "the total bound");
    a();
    a();
    assert.equal(limits.upstreamInFlight, 2, "a second release frees nothing more");
    const again = await limits.upstreamSlot("x@a.test", "Basic a");
    assert.equal(typeof again, "function", "a released slot is free again");
    for (const release of [b, stranger, again]) release();
    assert.equal(limits.upstreamInFlight, 0);
  });
});

describe("paths that a server behind could resolve differently are refused (400)", () => {
  test("isSafePath", () => {
    for (const safe of [
      "/Microsoft-Server-ActiveSync",
      "/v1/accounts/jo.smith@a.test",
      "/v1/seats/active.sync",
      "/a/b.c/d",
      "/v1/accounts/j%40x@a.test",
    ]) {
      assert.equal(isSafePath(new URL(`http://h${safe}`)), true, safe);
    }
    for (const bad of [
      "/Microsoft-Server-ActiveSync/..%2f..%2fadmin",
      "/Microsoft-Server-ActiveSync/..%5cadmin",
      "/x/%2e%2e/y",
      "/x/%2E%2e%2Fy",
      "/x/%252e%252e/y",
      "/x/%252f",
      "/x/a%00b",
      "/x/%zz",
    ]) {
      assert.equal(isSafePath(`http://h${bad}`), false, bad);
    }
    // A URL object has had its dot segments resolved (`/x/%2e%2e/y` is `/y`); what stays encoded is still refused.
    for (const bad of [
      "/Microsoft-Server-ActiveSync/..%2f..%2fadmin",
      "/x/..%5cy",
      "/x/%252e%252e/y",
    ]) {
      assert.equal(isSafePath(new URL(`http://h${bad}`)), false, `${bad} as a URL`);
    }
    assert.equal(isSafePath("http://h/a\\..\\b"), false, "a raw backslash");
  });

  test("through the handler: the gateway forwards nothing, the API routes nothing", async () => {
    const { call, forwarded } = await setup();
    for (const path of [
      "/Microsoft-Server-ActiveSync/..%2f..%2fadmin?Cmd=Sync",
      "/Microsoft-Server-ActiveSync/%2e%2e%5cx",
      "/Microsoft-Server-ActiveSync/%252e%252e/x",
    ]) {
      const r = await call(path, {
        method: "POST",
        headers: { authorization: `Basic ${Buffer.from("x@a.test:pw").toString("base64")}` },
      });
      assert.equal(r.status, 400, path);
      assert.match(await r.text(), /^seatcap: the path holds an encoded slash/);
    }
    assert.deepEqual(forwarded, []);
    const api = await call("/v1/accounts/..%2f..%2fcheck", { token: ADMIN });
    assert.equal(api.status, 400);
    assert.equal((await api.json()).error.code, "invalid-input");
  });
});

describe("JSON bodies: depth bounded before parsing, a BOM accepted", () => {
  const deep = (n) => "[".repeat(n) + "]".repeat(n);

  test("deeply nested JSON in PUT /v1/licence, /v1/events and /v1/import answers 400 invalid-input, and nothing changes", async () => {
    const { call, engine } = await setup();
    const before = JSON.stringify(await engine.exportScenario());
    const cases = [
      ["PUT", "/v1/licence", `{"features": {"activesync": {"seats": ${deep(20000)}}}}`],
      [
        "POST",
        "/v1/events",
        `{"events": [{"op": "licence", "licence": ${'{"a":'.repeat(5000)}1${"}".repeat(5000)}}]}`,
      ],
      ["POST", "/v1/import?replace=true", `{"licence": ${deep(40)}, "directory": {}}`],
      ["PUT", "/v1/settings", `{"node": "server", "feature": "activesync", "value": ${deep(33)}}`],
    ];
    for (const [method, route, body] of cases) {
      const r = await call(route, { token: ADMIN, method, body });
      assert.equal(r.status, 400, `${method} ${route}`);
      const error = (await r.json()).error;
      assert.equal(error.code, "invalid-input");
      assert.match(error.message, /nests deeper than 32 levels/);
    }
    assert.equal(JSON.stringify(await engine.exportScenario()), before, "nothing changed");
    // Brackets inside strings are text, not nesting.
    const text = await call("/v1/decide", {
      token: ADMIN,
      method: "POST",
      body: { account: `${"[".repeat(100)}@a.test`, feature: "activesync" },
    });
    assert.equal(text.status, 200);
  });

  test("a UTF-8 byte-order mark before the JSON is ignored", async () => {
    const { call, engine } = await setup();
    const r = await call("/v1/settings", {
      token: ADMIN,
      method: "PUT",
      body: `\uFEFF${JSON.stringify({ node: "account:x@a.test", feature: "activesync", value: "disabled" })}`,
    });
    assert.equal(r.status, 200, await r.clone().text());
    assert.equal(
      (await engine.account("x@a.test")).account.features.activesync.setting,
      "disabled",
    );
  });
});

describe("one status for `conflict`, and error bodies that tell a caller nothing of the machinery", () => {
  /** An EngineApi whose every call answers `result` (or throws it). */
  const fakeEngine = (result) => {
    const api = new Proxy(
      {},
      {
        get: (_, name) =>
          name === "by"
            ? () => api
            : async () => {
                if (result instanceof Error) throw result;
                return result;
              },
      },
    );
    return api;
  };

  test("conflict is 503 with Retry-After on the API, like the gateway says it; store-error too; 409 stays for state conflicts", async () => {
    assert.equal(statusOf("conflict"), 503);
    assert.equal(statusOf("already-exists"), 409);
    assert.equal(statusOf("rate-limited"), 429);
    for (const code of ["conflict", "store-error"]) {
      const { call } = await setup({
        engine: fakeEngine({ error: { code, message: "lost the race" } }),
      });
      const r = await call("/v1/decide", {
        token: ADMIN,
        method: "POST",
        body: { account: "x@a.test", feature: "activesync" },
      });
      assert.equal(r.status, 503, code);
      assert.ok(Number(r.headers.get("retry-after")) >= 1, `${code}: Retry-After`);
      assert.equal((await r.json()).error.code, code);
      const w = await call("/v1/accounts/x@a.test", { token: ADMIN, method: "DELETE" });
      assert.equal(w.status, 503, `${code} on a write`);
    }
  });

  test("an internal error answers 503 without its detail (the upstream's or database's address stays in the log)", async () => {
    const lines = [];
    const boom = new Error("connect ECONNREFUSED 10.20.30.40:5432");
    const e = fakeEngine(boom);
    const handler = createHandler({
      engine: e,
      tokens: await Tokens.from({ serverAdmin: [ADMIN] }),
      gateway: { forward: async () => new Response("ok") },
      licence: { trustedKeys: [] },
      log: (line) => lines.push(line),
      assets: async () => {
        throw boom;
      },
    });
    for (const path of ["/console.js", "/v1/directory"]) {
      const r = await handler.fetch(
        new Request(`http://s${path}`, { headers: { authorization: `Bearer ${ADMIN}` } }),
      );
      assert.equal(r.status, 503, path);
      const body = await r.text();
      assert.doesNotMatch(body, /10\.20\.30\.40|ECONNREFUSED|5432/, `${path}: ${body}`);
    }
    assert.ok(
      lines.some((l) => l.includes("10.20.30.40")),
      "the operator still learns what went wrong",
    );
  });

  test("the gateway's own 502/503/504 bodies are the same few words for anyone", async () => {
    for (const [kind, status] of [
      ["not-configured", 502],
      ["unreachable", 502],
      ["timeout", 504],
      ["busy", 503],
    ]) {
      const r = upstreamFailure(kind);
      assert.equal(r.status, status, kind);
      const text = await r.text();
      assert.match(text, /^seatcap: [^\n]+\n$/);
      assert.doesNotMatch(text, /\d+\.\d+\.\d+\.\d+|:\d{2,5}\b|http/, kind);
    }
  });
});

describe("connection bounds on the Node server (boundServer, as serve applies it)", () => {
  /** A server whose answer to `/slow` takes `ms`; everything else answers at once. */
  async function listen(bounds, ms) {
    const server = createServer(nodeServerOptions(bounds), (req, res) => {
      req.resume();
      req.on("end", () => setTimeout(() => res.end("pong"), req.url === "/slow" ? ms : 0));
    });
    boundServer(server, bounds);
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    return server;
  }
  const get = (port, path) =>
    new Promise((resolve, reject) => {
      const req = httpRequest(
        { host: "127.0.0.1", port, path, method: "POST", agent: false },
        (res) => {
          let body = "";
          res
            .on("data", (d) => (body += d))
            .on("end", () => resolve({ status: res.statusCode, body }));
        },
      );
      req.on("error", reject);
      req.end("ping");
    });

  test("a long-poll whose request arrived whole outlives requestTimeout and headersTimeout (a Ping may last 3600 s)", async () => {
    const server = await listen({ requestTimeoutMs: 500, headersTimeoutMs: 400 }, 2500);
    try {
      const started = Date.now();
      const r = await get(server.address().port, "/slow");
      assert.deepEqual(r, { status: 200, body: "pong" });
      assert.ok(Date.now() - started >= 2400);
    } finally {
      server.close();
    }
  });

  test("a client that never finishes its headers is cut off after headersTimeout (slowloris)", async () => {
    const server = await listen({ headersTimeoutMs: 500, requestTimeoutMs: 1000 }, 0);
    try {
      const started = Date.now();
      const closed = await new Promise((resolve) => {
        const socket = connect(server.address().port, "127.0.0.1", () =>
          socket.write("POST / HTTP/1.1\r\nHost: x\r\nX-Slow: "),
        );
        const drip = setInterval(() => socket.write("a"), 100);
        let answer = "";
        socket.on("data", (d) => (answer += d));
        socket.on("close", () => {
          clearInterval(drip);
          resolve(answer);
        });
      });
      assert.match(closed, /^HTTP\/1\.1 408/, "answered 408 Request Timeout, then closed");
      assert.ok(Date.now() - started < 5000);
    } finally {
      server.close();
    }
  });

  test("connections beyond maxConnections are refused while the others are served", async () => {
    const server = await listen({ maxConnections: 2 }, 1500);
    const port = server.address().port;
    try {
      const held = [get(port, "/slow"), get(port, "/slow")];
      await new Promise((r) => setTimeout(r, 200));
      await assert.rejects(
        get(port, "/fast"),
        /ECONNRESET|socket hang up/,
        "a third connection is closed at once",
      );
      assert.deepEqual(await Promise.all(held), [
        { status: 200, body: "pong" },
        { status: 200, body: "pong" },
      ]);
      assert.equal((await get(port, "/fast")).status, 200, "served again once below the bound");
    } finally {
      server.close();
    }
  });
});
