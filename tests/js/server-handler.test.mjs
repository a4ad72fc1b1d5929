// The edge server's parts in-process: configuration, the account a request
// names, what the upstream is sent, tokens, and the Engine calls the admin
// API stands on (change log, directory, accounts, signed licences) over
// every store.
import assert from "node:assert/strict";
import { generateKeyPairSync, sign } from "node:crypto";
import { after, describe, test } from "node:test";
import { Engine, MemoryStore, licenceMessage, verifyLicence } from "../../dist/node.mjs";
import {
  accountOfLogin,
  identify,
  axigenExample,
  ConfigError,
  createHandler,
  ENGINE_CALLS,
  isEngineCall,
  parseConfig,
  remoteEngine,
  Tokens,
  upstreamRequest,
  upstreamUrl,
} from "../../dist/server.mjs";
import { conformanceCases } from "./helpers.mjs";
import { openStore, storeKinds } from "./stores.mjs";

const T0 = Date.parse("2026-03-01T00:00:00Z");

describe("configuration from flags and environment", () => {
  test("defaults: 127.0.0.1:8787, ./data, SQLite, credentials checked", () => {
    const c = parseConfig([], {});
    assert.equal(c.host, "127.0.0.1");
    assert.equal(c.port, 8787);
    assert.equal(c.data, "./data");
    assert.equal(c.postgres, undefined);
    assert.equal(c.verifyNewClaims, true);
    assert.equal(c.dev, false);
  });

  test("flags win over the environment; lists come from repeats or commas", () => {
    const env = {
      SEATCAP_PORT: "9000",
      SEATCAP_UPSTREAM: "http://mail.local:81/",
      SEATCAP_ADMIN_TOKENS: "a,b",
      SEATCAP_DOMAIN_TOKENS: "A.com=t1, b.com=t2",
      SEATCAP_POSTGRES_URL: "postgres://u@h/db",
      SEATCAP_DEV: "1",
    };
    const c = parseConfig(
      [
        "--port",
        "9100",
        "--domain-token=c.com=t3",
        "--domain-token",
        "c.com=t4",
        "--licence-key",
        "AB".repeat(32),
      ],
      env,
    );
    assert.equal(c.port, 9100);
    assert.equal(c.upstream.href, "http://mail.local:81/");
    assert.deepEqual(c.adminTokens, ["a", "b"]);
    assert.deepEqual(
      c.domainTokens,
      { "c.com": ["t3", "t4"] },
      "flags replace the environment's list",
    );
    assert.deepEqual(parseConfig([], env).domainTokens, { "a.com": ["t1"], "b.com": ["t2"] });
    assert.equal(c.postgres, "postgres://u@h/db");
    assert.equal(c.dev, true);
    assert.deepEqual(c.licenceKeys, ["ab".repeat(32)]);
  });

  test("bad values are refused with the flag named", () => {
    for (const [argv, pattern] of [
      [["--port", "http"], /--port/],
      [["--port", "70000"], /--port/],
      [["--upstream", "ftp://x"], /--upstream/],
      [["--licence-key", "abc"], /--licence-key/],
      [["--domain-token", "no-equals"], /<domain>=<token>/],
      [["--frobnicate"], /unknown option --frobnicate/],
      [["--dev=yes"], /takes no value/],
      [["--port"], /needs a value/],
      [["--postgres", "mysql://x"], /postgres/],
    ]) {
      assert.throws(
        () => parseConfig(argv, {}),
        (e) => e instanceof ConfigError && pattern.test(e.message),
        argv.join(" "),
      );
    }
  });
});

describe("the gateway's request handling", () => {
  const req = (headers, query = "") =>
    new Request(`http://gw.local/Microsoft-Server-ActiveSync${query}`, { method: "POST", headers });
  const b64 = (s) => Buffer.from(s).toString("base64");

  test("the account is the Basic user name only (user@domain, DOMAIN\\user, a bare name in the default domain) — never `?User=` (issue 12 item 6/7)", () => {
    const id = (authorization, names) => identify(authorization, names);
    assert.deepEqual(id(`Basic ${b64("Jo@Example.com:pw:with:colons")}`), {
      kind: "account",
      account: "Jo@Example.com",
    });
    assert.deepEqual(
      id(`Basic ${b64("EXAMPLE\\jo:pw")}`),
      { kind: "account", account: "jo@example" },
      "no NetBIOS table: the name itself",
    );
    assert.deepEqual(
      id(`Basic ${b64("EXAMPLE\\jo:pw")}`, { netbios: { example: "example.com" } }),
      { kind: "account", account: "jo@example.com" },
    );
    assert.equal(
      id(`Basic ${b64("OTHER\\jo:pw")}`, { netbios: { example: "example.com" } }).kind,
      "unreadable",
      "a NetBIOS name the table lacks",
    );
    assert.deepEqual(id(`Basic ${b64("jo:pw")}`, { defaultDomain: "example.com" }), {
      kind: "account",
      account: "jo@example.com",
    });
    assert.equal(
      id(`Basic ${b64("jo:pw")}`).kind,
      "unreadable",
      "a bare name without --default-domain",
    );
    assert.deepEqual(id(null), { kind: "anonymous" });
    for (const header of [
      "Bearer xyz",
      "Negotiate YII=",
      "NTLM TlRMTVNT",
      "Basic !!!",
      `Basic ${b64("a@b.c:pw")} junk`,
      `Basic ${b64("a@b.c:pw")}, Basic ${b64("d@b.c:pw")}`,
      `Basic ${b64("nopassword")}`,
      "Basic /w==",
    ]) {
      assert.equal(id(header).kind, "unreadable", header);
    }
    assert.equal(accountOfLogin("a@b.c"), "a@b.c");
  });

  test("the upstream gets every header but hop-by-hop ones, plus X-Forwarded-*", () => {
    const original = new Request("http://gw.local/Microsoft-Server-ActiveSync?Cmd=Ping", {
      method: "POST",
      headers: {
        connection: "keep-alive, x-drop-me",
        "x-drop-me": "1",
        "keep-alive": "timeout=5",
        te: "trailers",
        "x-keep": "2",
        "x-forwarded-for": "10.0.0.1",
        host: "gw.local",
      },
      body: "abc",
      duplex: "half",
    });
    const out = upstreamRequest(
      original,
      new URL("http://mail.local:8080/Microsoft-Server-ActiveSync?Cmd=Ping"),
      { address: "192.0.2.7" },
    );
    assert.equal(out.headers.get("x-keep"), "2");
    for (const h of ["connection", "x-drop-me", "keep-alive", "te"])
      assert.equal(out.headers.get(h), null, h);
    assert.equal(
      out.headers.get("x-forwarded-for"),
      "192.0.2.7",
      "a caller's own X-Forwarded-For is not believed (the host's --trust-proxy decides)",
    );
    assert.equal(out.headers.get("x-forwarded-proto"), "http");
    assert.equal(out.headers.get("x-forwarded-host"), "gw.local");
    assert.equal(out.url, "http://mail.local:8080/Microsoft-Server-ActiveSync?Cmd=Ping");
  });

  test("the upstream's own path prefixes the request's", () => {
    const url = new URL("http://gw.local/Microsoft-Server-ActiveSync?Cmd=Sync&User=a@b.c");
    assert.equal(
      upstreamUrl(new URL("http://mail.local:81/base/"), url).href,
      "http://mail.local:81/base/Microsoft-Server-ActiveSync?Cmd=Sync&User=a@b.c",
    );
    assert.equal(
      upstreamUrl(new URL("http://mail.local"), url).href,
      "http://mail.local/Microsoft-Server-ActiveSync?Cmd=Sync&User=a@b.c",
    );
  });

  test("credentials are checked with the upstream only before a connect that would write, never for a holder", async () => {
    const engine = new Engine(new MemoryStore(), { now: () => T0 });
    await engine.importScenario(axigenExample(3, 1));
    const calls = [];
    const handler = createHandler({
      engine,
      tokens: await Tokens.from({ serverAdmin: ["x".repeat(20)] }),
      gateway: {
        upstream: new URL("http://mail.local/"),
        // A mail server that checks credentials on OPTIONS too (the password is `pw`).
        forward: async (request) => {
          calls.push(request.method);
          const auth = request.headers.get("authorization") ?? "";
          const right = auth.startsWith("Basic ") && atob(auth.slice(6)).endsWith(":pw");
          if (!right) return new Response(null, { status: 401 });
          return new Response(request.method === "OPTIONS" ? null : "ok", { status: 200 });
        },
      },
      licence: { trustedKeys: [] },
    });
    const as = (user) => handler.fetch(req({ authorization: `Basic ${b64(`${user}:pw`)}` }));
    assert.equal((await as("user1@example.com")).status, 200);
    assert.deepEqual(
      calls,
      ["OPTIONS", "OPTIONS", "POST"],
      "a claim is preceded by a probe (after one made-up credential showed OPTIONS is checked)",
    );
    calls.length = 0;
    assert.equal((await as("user1@example.com")).status, 200);
    assert.deepEqual(calls, ["POST"], "a holder is not probed");
    calls.length = 0;
    const denied = await as("user2@example.com");
    assert.equal(denied.status, 403);
    assert.equal(denied.headers.get("x-seatcap-reason"), "capped");
    assert.deepEqual(
      calls,
      ["OPTIONS"],
      "a cap is preceded by a probe, and the request goes nowhere",
    );
    calls.length = 0;
    assert.equal((await as("user2@example.com")).status, 403);
    assert.deepEqual(calls, [], "the credentials were verified a moment ago: remembered, no probe");
  });
});

describe("a domain administrator sees only its own domain", () => {
  test("in R6's list of holders and in log entries that touched other domains too", async () => {
    const engine = new Engine(new MemoryStore(), { now: () => T0 });
    await engine.importScenario({
      licence: { mailboxes: null, features: { activesync: { seats: 2 } } },
      directory: {
        server: { activesync: "enabled" },
        domains: { "a.com": {}, "b.com": {} },
        accounts: [{ id: "x@a.com" }, { id: "y@b.com" }, { id: "z@b.com" }],
      },
    });
    await engine.connect("x@a.com", "activesync");
    await engine.connect("y@b.com", "activesync");
    const server = "s".repeat(20);
    const domainB = "b".repeat(20);
    const handler = createHandler({
      engine,
      tokens: await Tokens.from({ serverAdmin: [server], domainAdmin: { "b.com": [domainB] } }),
      gateway: { forward: async () => new Response(null) },
      licence: { trustedKeys: [] },
    });
    const call = (token, method, route, body) =>
      handler
        .fetch(
          new Request(`http://s${route}`, {
            method,
            headers: { authorization: `Bearer ${token}` },
            body: body && JSON.stringify(body),
          }),
        )
        .then((r) => r.json());
    const enableZ = { node: "account:z@b.com", feature: "activesync", value: "enabled" };
    assert.deepEqual((await call(domainB, "PUT", "/v1/settings", enableZ)).error.holders, [
      "y@b.com",
    ]);
    assert.deepEqual((await call(server, "PUT", "/v1/settings", enableZ)).error.holders, [
      "x@a.com",
      "y@b.com",
    ]);
    // A server-wide change releases holders in both domains (R8): one entry, seen in part.
    assert.deepEqual(
      await call(server, "PUT", "/v1/settings", {
        node: "server",
        feature: "activesync",
        value: "disabled",
      }),
      { ok: true },
    );
    const full = (await call(server, "GET", "/v1/log")).items.at(-1);
    assert.deepEqual(full.seats.map((s) => s.account).sort(), ["x@a.com", "y@b.com"]);
    const part = (await call(domainB, "GET", "/v1/log")).items.at(-1);
    assert.equal(part.id, full.id);
    assert.deepEqual(
      part.seats.map((s) => s.account),
      ["y@b.com"],
    );
    assert.deepEqual(part.changes, [], "the server's own setting is not shown to a domain admin");
  });
});

describe("an Engine somewhere else (remoteEngine, as the Cloudflare Worker uses it)", () => {
  test("ENGINE_CALLS names every Engine method but `by`, so a Durable Object forwards them all", () => {
    const methods = Object.getOwnPropertyNames(Engine.prototype).filter(
      (m) => m !== "constructor" && m !== "by",
    );
    assert.deepEqual([...ENGINE_CALLS].sort(), methods.sort());
    assert.equal(isEngineCall("connect"), true);
    for (const name of ["by", "constructor", "__proto__", "toString", 7, undefined])
      assert.equal(isEngineCall(name), false, String(name));
  });

  test("every call crosses as a structured clone (as Workers RPC sends it): the handler serves import, events and export through it", async () => {
    const engine = new Engine(new MemoryStore(), { now: () => T0 });
    const sent = [];
    const transport = async (actor, call, args) => {
      sent.push({ actor, call, args: args.length });
      const target = actor === undefined ? engine : engine.by(actor);
      return structuredClone(await target[call](...structuredClone(args)));
    };
    const admin = "a".repeat(20);
    const handler = createHandler({
      engine: remoteEngine(transport),
      tokens: await Tokens.from({
        serverAdmin: [admin],
        domainAdmin: { "x.com": ["d".repeat(20)] },
      }),
      gateway: { forward: async () => new Response(null) },
      licence: { trustedKeys: [] },
    });
    const call = async (token, method, route, body) => {
      const r = await handler.fetch(
        new Request(`http://s${route}`, {
          method,
          headers: { authorization: `Bearer ${token}` },
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
      );
      return { status: r.status, json: await r.json() };
    };
    const c = conformanceCases().find((x) => x.name.startsWith("15-"));
    const { events, ...state } = c.scenario;
    assert.deepEqual(await call(admin, "POST", "/v1/import", state), {
      status: 200,
      json: { ok: true },
    });
    assert.equal(
      (await call(admin, "POST", "/v1/import", state)).json.error.code,
      "already-exists",
      "only an empty store is seeded without replace",
    );
    assert.deepEqual(await call(admin, "POST", "/v1/import?replace=true", state), {
      status: 200,
      json: { ok: true },
    });
    const ran = await call(admin, "POST", "/v1/events", { events, start: "2026-01-01T00:00:00Z" });
    assert.equal(ran.status, 200);
    assert.deepStrictEqual(ran.json.outcomes, c.outcome.events);
    const exported = await call(admin, "GET", "/v1/export");
    const { simulate } = await import("../../dist/node.mjs");
    assert.deepStrictEqual(simulate(exported.json).outcome.state, c.outcome.state);
    // The caller is the change log's actor; `undefined` trailing arguments are not sent.
    assert.ok(sent.some((m) => m.actor === "server-admin" && m.call === "replay" && m.args === 2));
    assert.ok(
      sent.some((m) => m.actor === undefined && m.call === "exportScenario" && m.args === 0),
    );
    const log = (await call(admin, "GET", "/v1/log?limit=1000")).json.items;
    assert.ok(
      log.some((e) => e.actor === "server-admin" && e.request.op === "import"),
      JSON.stringify(log.map((e) => e.request.op)),
    );
  });

  test("import and events: server administrators only, bad bodies refused with nothing changed", async () => {
    const engine = new Engine(new MemoryStore(), { now: () => T0 });
    await engine.importScenario(axigenExample(6, 2));
    const admin = "a".repeat(20);
    const domain = "d".repeat(20);
    const handler = createHandler({
      engine,
      tokens: await Tokens.from({ serverAdmin: [admin], domainAdmin: { "example.com": [domain] } }),
      gateway: { forward: async () => new Response(null) },
      licence: { trustedKeys: [] },
      bodyLimit: 2048,
    });
    const call = async (token, method, route, body) => {
      const r = await handler.fetch(
        new Request(`http://s${route}`, {
          method,
          headers: { authorization: `Bearer ${token}` },
          body: typeof body === "string" ? body : JSON.stringify(body),
        }),
      );
      return { status: r.status, code: (await r.json()).error?.code };
    };
    const before = JSON.stringify(await engine.exportScenario());
    const cases = [
      [domain, "/v1/import?replace=true", axigenExample(2, 1), 403, "forbidden"],
      [domain, "/v1/events", { events: [] }, 403, "forbidden"],
      [admin, "/v1/import?replace=yes", axigenExample(2, 1), 400, "invalid-input"],
      [admin, "/v1/import?replace=true", [], 400, "invalid-input"],
      [
        admin,
        "/v1/import?replace=true",
        {
          ...axigenExample(2, 1),
          events: [{ op: "connect", account: "user1@example.com", feature: "activesync" }],
        },
        400,
        "invalid-input",
      ],
      [admin, "/v1/import?replace=true", "{oops", 400, "invalid-input"],
      [admin, "/v1/events", { events: {} }, 400, "invalid-input"],
      [admin, "/v1/events", { events: [], start: "soon" }, 400, "invalid-input"],
      [admin, "/v1/events", { events: [], later: 1 }, 400, "invalid-input"],
    ];
    for (const [token, route, body, status, code] of cases) {
      assert.deepEqual(
        await call(token, "POST", route, body),
        { status, code },
        `${route} ${JSON.stringify(body).slice(0, 40)}`,
      );
    }
    assert.equal(JSON.stringify(await engine.exportScenario()), before);
    // The import limit is its own (16 MiB), not the 2 KiB JSON limit of the other routes.
    const big = {
      licence: { mailboxes: null, features: { activesync: { seats: 10 } } },
      directory: {
        server: { activesync: "enabled" },
        domains: { "example.com": {} },
        accounts: Array.from({ length: 200 }, (_, i) => ({ id: `user${i}@example.com` })),
      },
    };
    assert.ok(JSON.stringify(big).length > 2048);
    assert.deepEqual(await call(admin, "POST", "/v1/import?replace=true", big), {
      status: 200,
      code: undefined,
    });
    assert.equal((await engine.exportScenario()).scenario.directory.accounts.length, 200);
    assert.equal(
      (
        await call(admin, "PUT", "/v1/settings", {
          node: "server",
          feature: "activesync",
          value: "enabled",
          pad: "x".repeat(3000),
        })
      ).status,
      413,
    );
  });
});

describe("tokens", () => {
  test("a token names its role; short tokens are refused at startup", async () => {
    const tokens = await Tokens.from({
      serverAdmin: ["s".repeat(16)],
      domainAdmin: { "A.com": ["d".repeat(16)] },
      gateway: ["g".repeat(16)],
    });
    assert.deepEqual(await tokens.roleOf("s".repeat(16)), { kind: "server-admin" });
    assert.deepEqual(await tokens.roleOf("d".repeat(16)), {
      kind: "domain-admin",
      domain: "a.com",
    });
    assert.deepEqual(await tokens.roleOf("g".repeat(16)), { kind: "gateway" });
    assert.equal(await tokens.roleOf("s".repeat(15)), undefined);
    assert.equal(await tokens.fromHeader(null), null);
    assert.equal(await tokens.fromHeader("Basic abc"), undefined);
    assert.deepEqual(await tokens.fromHeader(`bearer ${"s".repeat(16)}`), { kind: "server-admin" });
    await assert.rejects(Tokens.from({ serverAdmin: ["short"] }), /at least 16/);
  });
});

/** A licence file signed with node:crypto over the core's canonical message: two implementations must agree. */
function signWithNode(licence) {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const message = licenceMessage(licence);
  assert.equal(message.type, "success");
  const value = sign(null, Buffer.from(message.message), privateKey).toString("hex");
  const key = Buffer.from(publicKey.export({ format: "jwk" }).x, "base64url").toString("hex");
  return { file: { ...licence, signature: { key, value } }, key };
}

const kinds = await storeKinds();
for (const kind of kinds) {
  describe(`the Engine behind the admin API over ${kind}`, () => {
    const opened = [];
    const fresh = async () => {
      const s = await openStore(kind);
      opened.push(s);
      const engine = new Engine(s.store, { now: () => T0 });
      assert.deepEqual(await engine.importScenario(axigenExample(6, 2)), { ok: true });
      return { engine, store: s.store };
    };
    after(async () => {
      for (const s of opened) await s.close();
    });

    test("changes by an engine acting for someone are logged with who, what and the seats moved; reads and plain engines log nothing", async () => {
      const { engine } = await fresh();
      const alice = engine.by("admin:alice");
      assert.deepEqual(await alice.set("account:user1@example.com", "activesync", "enabled"), {
        ok: true,
      });
      await engine.set("account:user2@example.com", "activesync", "enabled");
      await alice.seats("activesync");
      const refused = await alice.set("account:user3@example.com", "activesync", "enabled");
      assert.equal(refused.error.code, "seats-exhausted");
      const log = await engine.log();
      assert.equal(log.type, "success");
      assert.equal(log.page.items.length, 1, "only alice's applied change");
      const [entry] = log.page.items;
      assert.equal(entry.actor, "admin:alice");
      assert.equal(entry.at, "2026-03-01T00:00:00Z");
      assert.deepEqual(entry.seats, [
        { feature: "activesync", account: "user1@example.com", change: "claimed", via: "admin" },
      ]);
      assert.equal((await engine.log({ domain: "other.org" })).page.items.length, 0);
    });

    test("directory, accounts (paged, per domain) and the licence's origin", async () => {
      const { engine } = await fresh();
      assert.deepEqual(await engine.createDomain("b.org", { activesync: "enabled" }), { ok: true });
      assert.deepEqual(await engine.createClass("b.org", "vip", {}), { ok: true });
      assert.deepEqual(await engine.createAccount("z@b.org", { class: "vip" }), {
        ok: false,
        error: {
          code: "mailboxes-exhausted",
          message: (await engine.createAccount("z@b.org", { class: "vip" })).error.message,
        },
      });
      const dir = await engine.directory();
      assert.deepEqual(Object.keys(dir.directory.domains), ["b.org", "example.com"]);
      assert.deepEqual(dir.directory.domains["b.org"], {
        settings: { activesync: "enabled" },
        classes: { vip: {} },
      });
      const first = await engine.accounts({ domain: "example.com", limit: 4 });
      assert.deepEqual(
        first.page.items.map((a) => a.id),
        ["user1@example.com", "user2@example.com", "user3@example.com", "user4@example.com"],
      );
      const rest = await engine.accounts({
        domain: "example.com",
        limit: 4,
        after: first.page.next,
      });
      assert.deepEqual(
        rest.page.items.map((a) => a.id),
        ["user5@example.com", "user6@example.com"],
      );
      assert.equal(rest.page.next, null);
      assert.deepEqual((await engine.accounts({ domain: "b.org" })).page.items, []);
      const lic = await engine.licence();
      assert.equal(lic.licence.signedBy, null);
      assert.equal(lic.licence.licence.features.activesync.seats, 2);
    });

    test("uploadLicence: a node:crypto signature verifies in the Rust core; tampered, foreign and unsigned files change nothing", async () => {
      const { engine } = await fresh();
      const { file, key } = signWithNode({
        mailboxes: 10,
        features: { activesync: { seats: 4 } },
        expires: null,
      });
      assert.equal(verifyLicence(file, [key]).type, "success");
      const other = signWithNode({ mailboxes: 10, features: { activesync: { seats: 4 } } });
      const before = await engine.exportScenario();
      for (const [bad, why] of [
        [{ ...file, mailboxes: 11 }, /does not verify/],
        [other.file, /does not trust/],
        [{ mailboxes: 10, features: { activesync: { seats: 4 } } }, /unsigned/],
        ["{not json", /not JSON/],
      ]) {
        const result = await engine.uploadLicence(bad, { trustedKeys: [key] });
        assert.equal(result.ok, false);
        assert.equal(result.error.code, "invalid-input");
        assert.match(result.error.message, why);
      }
      assert.deepEqual(await engine.exportScenario(), before, "nothing changed");
      assert.deepEqual(
        await engine.uploadLicence(JSON.stringify(file, null, 4), { trustedKeys: [key] }),
        { ok: true },
      );
      const lic = (await engine.licence()).licence;
      assert.equal(lic.signedBy, key);
      assert.equal(lic.licence.features.activesync.seats, 4);
      assert.deepEqual(
        await engine.uploadLicence(
          { features: { activesync: { seats: 1 } } },
          { trustedKeys: [], allowUnsigned: true },
        ),
        { ok: true },
      );
      assert.equal((await engine.licence()).licence.signedBy, null);
    });
  });
}
