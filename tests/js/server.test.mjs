// The edge server as deployed: `seatcap serve` as a real process on
// 127.0.0.1, a real upstream stub recording every byte, and the store in a
// SQLite file and (once more, the same suite) in a real PostgreSQL.
// SPEC rules are cited where a test checks one.
import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { simulate } from "../../dist/node.mjs";
import { mulberry32 } from "../../scripts/demo.mjs";
import {
  api,
  basic,
  pool,
  raw,
  seatcap,
  sha256,
  startServer,
  startUpstream,
  tempDir,
} from "./server-helpers.mjs";
import { postgresAvailable } from "./stores.mjs";

const kinds = (await postgresAvailable()) ? ["sqlite", "postgres"] : ["sqlite"];
const token = (name) =>
  `${name}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
const AS = "/Microsoft-Server-ActiveSync";

function shuffled(n, seed) {
  const random = mulberry32(seed);
  const order = Array.from({ length: n }, (_, i) => i + 1);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** Every page of a cursor-paged route. */
async function allPages(client, route) {
  const items = [];
  let after;
  for (;;) {
    const sep = route.includes("?") ? "&" : "?";
    const res = await client.get(
      `${route}${sep}limit=1000${after ? `&after=${encodeURIComponent(after)}` : ""}`,
    );
    assert.equal(res.status, 200, res.text);
    items.push(...res.json.items);
    if (res.json.next === null) return items;
    after = res.json.next;
  }
}

for (const kind of kinds) {
  describe(`edge server over ${kind}`, () => {
    const ADMIN = token("admin");
    const DOMAIN_A = token("example-admin");
    const DOMAIN_B = token("other-admin");
    const GATEWAY = token("gateway");
    let upstream;
    let server;
    let admin;
    const holders = new Set();
    const capped = new Set();
    const args = () => [
      "--demo",
      "--upstream",
      upstream.url,
      "--admin-token",
      ADMIN,
      "--domain-token",
      `example.com=${DOMAIN_A}`,
      "--domain-token",
      `other.org=${DOMAIN_B}`,
      "--gateway-token",
      GATEWAY,
    ];
    const connect = (account, { password = "secret", method = "POST", headers = {}, body } = {}) =>
      raw(`${server.url}${AS}?Cmd=Sync&DeviceId=dev1&DeviceType=iPhone`, {
        method,
        headers: { authorization: basic(account, password), ...headers },
        body,
      });

    before(async () => {
      upstream = await startUpstream();
      server = await startServer({ store: kind, args: args() });
      admin = api(server.url, ADMIN);
    });
    after(async () => {
      await server?.stop();
      await upstream?.close();
    });

    test("npm start's seed: the Axigen example (500 accounts, 200 ActiveSync seats), nothing held yet", async () => {
      assert.match(server.output(), /seeded\s+the Axigen example/);
      const seats = await admin.get("/v1/seats/activesync");
      assert.equal(seats.status, 200, seats.text);
      assert.deepEqual([seats.json.limit, seats.json.used, seats.json.free], [200, 0, 200]);
      const page = await admin.get("/v1/domains/example.com/accounts?limit=10000");
      assert.equal(page.json.items.length, 500);
    });

    test("OPTIONS is answered by the upstream and takes no seat", async () => {
      const res = await connect("user1@example.com", { method: "OPTIONS" });
      assert.equal(res.status, 200);
      assert.equal(res.headers["ms-asprotocolversions"], "14.1,16.1");
      assert.equal(upstream.requests.at(-1).method, "OPTIONS");
      assert.equal((await admin.get("/v1/seats/activesync")).json.used, 0);
    });

    test("credentials the mail server refuses take no seat and cap no one (its 401 comes back)", async () => {
      const before = upstream.real().length;
      const res = await connect("user2@example.com", { password: "wrong" });
      assert.equal(res.status, 401);
      assert.equal(res.headers["x-upstream"], "refused", "the upstream's own answer");
      assert.equal(upstream.real().length, before, "the request itself never reached the upstream");
      const account = (await admin.get("/v1/accounts/user2@example.com")).json;
      assert.equal(account.features.activesync.seat, null);
      assert.equal(account.features.activesync.cappedAt, null);
      assert.equal((await admin.get("/v1/seats/activesync")).json.used, 0);
    });

    test("a request naming no account is asked to sign in, and reaches nothing", async () => {
      const before = upstream.requests.length;
      const res = await raw(`${server.url}${AS}?Cmd=Sync`, { method: "POST" });
      assert.equal(res.status, 401);
      assert.match(res.headers["www-authenticate"], /^Basic /);
      assert.equal(upstream.requests.length, before);
    });

    test("a bare `?User=` with no credentials claims no seat and caps no one", async () => {
      const before = upstream.real().length;
      const res = await raw(`${server.url}${AS}?Cmd=Sync&User=user3@example.com&DeviceId=d`, {
        method: "POST",
      });
      assert.equal(res.status, 401, "asked to sign in");
      assert.match(res.headers["www-authenticate"], /^Basic /);
      assert.equal(upstream.real().length, before);
      assert.equal((await admin.get("/v1/seats/activesync")).json.used, 0);
    });

    test("R4/R5 the Axigen example through the gateway: 200 first accounts hold the seats, the other 300 are capped and their setting written", async () => {
      const order = shuffled(500, 20260105);
      const before = upstream.real().length;
      const results = await pool(order, 16, async (n) => {
        const id = `user${n}@example.com`;
        const res = await connect(id);
        return { id, res };
      });
      for (const { id, res } of results) {
        if (res.status === 207) holders.add(id);
        else {
          assert.equal(res.status, 403, `${id}: ${res.body}`);
          assert.equal(res.headers["x-seatcap-reason"], "capped");
          assert.match(res.body.toString(), /capped/);
          capped.add(id);
        }
      }
      assert.equal(holders.size, 200);
      assert.equal(capped.size, 300);
      // Denied requests never reached the mail server; every allowed one did.
      const reached = upstream
        .real()
        .slice(before)
        .map(
          (r) => Buffer.from(r.headers.authorization.slice(6), "base64").toString().split(":")[0],
        );
      assert.equal(reached.length, 200);
      assert.deepEqual(new Set(reached), holders);

      const seats = (await admin.get("/v1/seats/activesync")).json;
      assert.deepEqual([seats.limit, seats.used, seats.free], [200, 200, 0]);
      assert.deepEqual(new Set(seats.holders.map((h) => h.account)), holders);
      assert.ok(seats.holders.every((h) => h.via === "connect"));
      const cappedList = await allPages(admin, "/v1/seats/activesync/capped");
      assert.deepEqual(new Set(cappedList.map((c) => c.account)), capped);
      const one = [...capped][0];
      const view = (await admin.get(`/v1/accounts/${one}`)).json.features.activesync;
      assert.equal(view.setting, "disabled", "explicitly defined (Axigen)");
      assert.ok(view.cappedAt);
      assert.equal(view.source, `account:${one}`);
      assert.equal(
        (await admin.get("/v1/check")).json.problems.length,
        0,
        "the ledger audit is clean",
      );
    });

    test("R3/R5 afterwards: a holder keeps access, a capped account stays denied naming its own setting", async () => {
      const holder = [...holders][0];
      assert.equal((await connect(holder)).status, 207);
      const cappedOne = [...capped][1];
      const res = await connect(cappedOne);
      assert.equal(res.status, 403);
      assert.equal(res.headers["x-seatcap-reason"], "capped");
      const decided = await api(server.url, GATEWAY).post("/v1/decide", {
        account: cappedOne,
        feature: "activesync",
      });
      assert.deepEqual(decided.json, {
        allowed: false,
        reason: "capped",
        source: `account:${cappedOne}`,
      });
    });

    test("an allowed request reaches the upstream byte for byte, and its answer comes back byte for byte", async () => {
      const holder = [...holders][2];
      const body = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 256));
      const headers = {
        "content-type": "application/vnd.ms-sync.wbxml",
        "ms-asprotocolversion": "16.1",
        "user-agent": "Apple-iPhone/1905.17",
        "x-custom": "kept as is",
        cookie: "session=abc",
      };
      for (const chunked of [false, true]) {
        const res = await connect(holder, { headers, body, chunked });
        assert.equal(res.status, 207, res.body.toString().slice(0, 200));
        const got = upstream.requests.at(-1);
        assert.equal(got.method, "POST");
        assert.equal(got.url, `${AS}?Cmd=Sync&DeviceId=dev1&DeviceType=iPhone`);
        assert.ok(got.body.equals(body), `request body intact (chunked: ${chunked})`);
        for (const [h, v] of Object.entries(headers)) assert.equal(got.headers[h], v, h);
        assert.equal(got.headers.authorization, basic(holder));
        assert.equal(got.headers["x-forwarded-for"], "127.0.0.1");
        // The response: status, headers (both cookies, the encoding) and the compressed bytes untouched.
        assert.equal(res.headers["content-encoding"], "gzip");
        assert.equal(res.headers["content-type"], "application/vnd.ms-sync.wbxml");
        assert.deepEqual(res.headers["set-cookie"], ["a=1; Path=/", "b=2; Path=/"]);
        assert.equal(res.headers["x-upstream-body-sha256"], sha256(body));
        assert.ok(res.body.equals(upstream.payload), "response body intact");
      }
      const get = await connect(holder, { method: "GET" });
      assert.equal(get.status, 207);
      assert.equal(upstream.requests.at(-1).method, "GET");
      assert.equal(upstream.requests.at(-1).body.length, 0);
    });

    test("the account comes from `DOMAIN\\user` Basic names, never from the `User` parameter alone (issue 12 item 7)", async () => {
      const holder = [...holders][3];
      const [local, domain] = holder.split("@");
      assert.equal((await connect(`${domain.toUpperCase()}\\${local}`)).status, 207);
      // A Bearer token names no account seatcap can check: `User=` must not pick one (a capped user would ride the holder's seat).
      const before = upstream.real().length;
      const viaParam = await raw(
        `${server.url}${AS}?Cmd=Ping&User=${encodeURIComponent(holder)}&DeviceId=d`,
        { method: "POST", headers: { authorization: "Bearer oauth-token" } },
      );
      assert.equal(viaParam.status, 401);
      assert.equal(upstream.real().length, before, "it went nowhere");
      const stranger = await connect("nobody@example.com");
      assert.equal(stranger.status, 403);
      assert.equal(stranger.headers["x-seatcap-reason"], "unknown-account");
    });

    test("POST /v1/decide answers {allowed, reason, source} for other protocols", async () => {
      const gw = api(server.url, GATEWAY);
      const holder = [...holders][4];
      assert.deepEqual(
        (await gw.post("/v1/decide", { account: holder, feature: "activesync" })).json,
        {
          allowed: true,
          reason: "seat-held",
          source: "domain:example.com",
        },
      );
      assert.deepEqual(
        (await gw.post("/v1/decide", { account: holder, feature: "outlook" })).json,
        {
          allowed: false,
          reason: "unknown-feature",
          source: null,
        },
      );
      assert.equal((await gw.post("/v1/decide", { account: holder })).status, 400);
      assert.equal(
        (
          await api(server.url, DOMAIN_A).post("/v1/decide", {
            account: holder,
            feature: "activesync",
          })
        ).status,
        403,
      );
    });

    test("auth matrix: no token, a wrong token, the server admin, a domain admin on its own and another domain, a gateway", async () => {
      const own = [...holders][5];
      const routes = [
        {
          name: "read seats (holders filtered per domain)",
          method: "GET",
          route: "/v1/seats/activesync",
          allowed: ["server", "domainA", "domainB"],
        },
        {
          name: "own-domain account",
          method: "GET",
          route: `/v1/accounts/${own}`,
          allowed: ["server", "domainA"],
        },
        {
          name: "other.org's directory",
          method: "GET",
          route: "/v1/domains/other.org",
          allowed: ["server", "domainB"],
        },
        {
          name: "a setting in other.org",
          method: "PUT",
          route: "/v1/settings",
          body: { node: "domain:other.org", feature: "activesync", value: "inherit" },
          allowed: ["server", "domainB"],
        },
        {
          name: "an account in other.org",
          method: "GET",
          route: "/v1/accounts/someone@other.org",
          allowed: ["server", "domainB"],
        },
        {
          name: "set the server",
          method: "PUT",
          route: "/v1/settings",
          body: { node: "server", feature: "activesync", value: "disabled" },
          allowed: ["server"],
        },
        {
          name: "upload a licence",
          method: "PUT",
          route: "/v1/licence",
          body: { features: {} },
          allowed: ["server"],
        },
        {
          name: "create a domain",
          method: "POST",
          route: "/v1/domains",
          body: { name: "" },
          allowed: ["server"],
        },
        { name: "export", method: "GET", route: "/v1/export", allowed: ["server"] },
        {
          name: "restore capped",
          method: "POST",
          route: "/v1/seats/nosuchfeature/restore-capped",
          allowed: ["server"],
        },
        {
          name: "decide",
          method: "POST",
          route: "/v1/decide",
          body: { account: own, feature: "nosuchfeature" },
          allowed: ["server", "gateway"],
        },
      ];
      const callers = {
        none: undefined,
        wrong: "x".repeat(40),
        server: ADMIN,
        domainA: DOMAIN_A,
        domainB: DOMAIN_B,
        gateway: GATEWAY,
      };
      for (const r of routes) {
        for (const [who, t] of Object.entries(callers)) {
          const res = await api(server.url, t).call(r.method, r.route, r.body);
          const want =
            who === "none" || who === "wrong" ? [401] : r.allowed.includes(who) ? "through" : [403];
          if (want === "through")
            assert.ok(
              ![401, 403].includes(res.status),
              `${r.name} as ${who}: ${res.status} ${res.text}`,
            );
          else
            assert.ok(
              want.includes(res.status),
              `${r.name} as ${who}: want ${want}, got ${res.status} ${res.text}`,
            );
          if (res.status === 401 || res.status === 403)
            assert.match(res.json.error.code, /^(unauthorized|forbidden)$/);
        }
      }
      // A domain admin sees only its own domain in lists.
      const dir = (await api(server.url, DOMAIN_B).get("/v1/directory")).json;
      assert.deepEqual(Object.keys(dir.domains), []);
      const seatsB = (await api(server.url, DOMAIN_B).get("/v1/seats/activesync")).json;
      assert.equal(seatsB.holders.length, 0, "no holders of other domains");
      assert.equal(seatsB.used, 200, "but the licence's use is shown");
      assert.equal(
        (await api(server.url, DOMAIN_B).get("/v1/seats/activesync/capped")).json.items.length,
        0,
      );
    });

    test("admin flows: R6 refusal lists holders, R7 release, R6 reservation, R11 restore, signed licence R10, directory growth, R9 lifecycle, log", async () => {
      const [holder] = holders;
      const [c1, c2] = capped;
      const refused = await admin.put("/v1/settings", {
        node: `account:${c1}`,
        feature: "activesync",
        value: "enabled",
      });
      assert.equal(refused.status, 409);
      assert.equal(refused.json.error.code, "seats-exhausted");
      assert.equal(refused.json.error.holders.length, 200);

      assert.equal(
        (
          await admin.put("/v1/settings", {
            node: `account:${holder}`,
            feature: "activesync",
            value: "disabled",
          })
        ).status,
        200,
      );
      assert.equal((await admin.get("/v1/seats/activesync")).json.used, 199, "R7 released");
      assert.equal(
        (
          await admin.put("/v1/settings", {
            node: `account:${c1}`,
            feature: "activesync",
            value: "enabled",
          })
        ).status,
        200,
      );
      const c1View = (await admin.get(`/v1/accounts/${c1}`)).json.features.activesync;
      assert.equal(c1View.seat.via, "admin", "R6 reserved at once");
      assert.equal(c1View.cappedAt, null, "an administrator's write clears the marker");

      // The change log: who, the node before and after, and the seats it moved.
      const log = await allPages(admin, "/v1/log");
      const disable = log.find(
        (e) => e.request.op === "set" && e.request.node === `account:${holder}`,
      );
      assert.equal(disable.actor, "server-admin");
      assert.deepEqual(disable.domains, ["example.com"]);
      const change = disable.changes.find((c) => c.node === `account:${holder}`);
      assert.equal(change.before.settings.activesync, undefined);
      assert.equal(change.after.settings.activesync, "disabled");
      assert.deepEqual(disable.seats, [
        { feature: "activesync", account: holder, change: "released" },
      ]);
      const caps = log.filter((e) => e.actor === "activesync-gateway");
      assert.equal(caps.length, 300, "each cap by the gateway is logged once");
      assert.ok(caps.every((e) => e.seats.some((s) => s.change === "capped")));

      // A vendor-signed licence with more mailboxes and seats (R10: capped stay capped).
      const file = path.join(tempDir("seatcap-licence-"), "licence.json");
      writeFileSync(
        file,
        JSON.stringify({ mailboxes: 600, features: { activesync: { seats: 250 } }, expires: null }),
      );
      const signed = seatcap([
        "licence",
        "sign",
        "--key",
        path.join(server.data, "demo-vendor.key"),
        file,
      ]);
      assert.equal(signed.status, 0, signed.stderr);
      const up = await admin.put("/v1/licence", signed.stdout);
      assert.equal(up.status, 200, up.text);
      assert.equal(up.json.signature, "verified");
      const lic = (await admin.get("/v1/licence")).json;
      assert.equal(lic.licence.features.activesync.seats, 250);
      assert.match(lic.signedBy, /^[0-9a-f]{64}$/);
      assert.equal(
        (await connect(c2)).headers["x-seatcap-reason"],
        "capped",
        "R10: capped accounts stay capped when the licence grows",
      );
      assert.equal((await admin.post("/v1/seats/activesync/restore-capped")).status, 200);
      assert.equal((await allPages(admin, "/v1/seats/activesync/capped")).length, 0, "R11");
      assert.equal(
        (await connect(c2)).status,
        207,
        "R11: restored accounts claim at their next connect",
      );

      // The directory grows: a domain, a class enabling ActiveSync, accounts in it.
      assert.equal((await admin.post("/v1/domains", { name: "other.org" })).status, 201);
      assert.equal(
        (await admin.post("/v1/domains", { name: "other.org" })).json.error.code,
        "already-exists",
      );
      const b = api(server.url, DOMAIN_B);
      assert.equal(
        (
          await b.post("/v1/domains/other.org/classes", {
            name: "sales",
            settings: { activesync: "enabled" },
          })
        ).status,
        201,
      );
      for (const n of [1, 2, 3, 4, 5]) {
        assert.equal(
          (await b.post("/v1/accounts", { id: `rep${n}@other.org`, class: "sales" })).status,
          201,
        );
      }
      const rep = (await b.get("/v1/accounts/rep1@other.org")).json;
      assert.equal(rep.features.activesync.effective, "enabled");
      assert.equal(
        rep.features.activesync.source,
        "class:other.org/sales",
        "R1: the class decides",
      );
      const page1 = (await b.get("/v1/domains/other.org/accounts?limit=2")).json;
      assert.deepEqual(
        page1.items.map((a) => a.id),
        ["rep1@other.org", "rep2@other.org"],
      );
      const page2 = (await b.get(`/v1/domains/other.org/accounts?limit=2&after=${page1.next}`))
        .json;
      assert.deepEqual(
        page2.items.map((a) => a.id),
        ["rep3@other.org", "rep4@other.org"],
      );
      assert.equal((await connect("rep1@other.org")).status, 207);
      assert.equal(
        (await b.put("/v1/accounts/rep1@other.org/type", { type: "basic" })).status,
        200,
      );
      assert.equal(
        (await b.get("/v1/accounts/rep1@other.org")).json.features.activesync.seat,
        null,
        "R9: basic releases the seat",
      );
      assert.equal((await connect("rep1@other.org")).headers["x-seatcap-reason"], "not-premium");
      assert.equal((await b.delete("/v1/accounts/rep2@other.org")).status, 200);
      assert.equal((await b.get("/v1/accounts/rep2@other.org")).json.error.code, "unknown-account");
      const explained = (await b.get("/v1/explain?account=rep3@other.org&feature=activesync")).json;
      assert.equal(explained.decision.reason, "seat-claimed");
      // The domain admin's log shows only its domain's entries.
      const bLog = await allPages(b, "/v1/log");
      assert.ok(bLog.length >= 7 && bLog.every((e) => e.domains.includes("other.org")));
      assert.ok(
        bLog.some((e) => e.request.op === "create-class" && e.actor === "domain-admin:other.org"),
      );
    });

    test("export is a SPEC scenario the simulator reproduces exactly, and the audit is clean", async () => {
      const exported = await admin.get("/v1/export");
      assert.equal(exported.status, 200);
      const outcome = simulate(exported.json);
      assert.equal(outcome.type, "success", JSON.stringify(outcome.error));
      const live = (await admin.get("/v1/seats/activesync")).json.holders.map((h) => h.account);
      assert.deepEqual(outcome.outcome.state.seats.activesync.holders, live);
      assert.equal((await admin.get("/v1/check")).json.problems.length, 0);
    });

    test("bad requests get 4xx with a code and change nothing", async () => {
      const before = (await admin.get("/v1/export")).json;
      const logBefore = (await allPages(admin, "/v1/log")).length;
      const cases = [
        [
          admin.put("/v1/settings", {
            node: "domain:example.com",
            feature: "activesync",
            value: "enabled",
            pad: "x".repeat(70_000),
          }),
          413,
          "payload-too-large",
        ],
        [admin.put("/v1/settings", "{node: nope"), 400, "invalid-input"],
        [admin.put("/v1/settings", ""), 400, "invalid-input"],
        [admin.put("/v1/settings", [1, 2]), 400, "invalid-input"],
        [
          admin.put("/v1/settings", {
            node: "domain:example.com",
            feature: "activesync",
            value: 5,
          }),
          400,
          "invalid-input",
        ],
        [
          admin.put("/v1/settings", {
            node: "domain:example.com",
            feature: "activesync",
            value: "maybe",
          }),
          400,
          "invalid-input",
        ],
        [
          admin.put("/v1/settings", {
            node: "domain:example.com",
            feature: "activesync",
            value: "enabled",
            extra: 1,
          }),
          400,
          "invalid-input",
        ],
        [
          admin.put("/v1/settings", { node: "server", feature: "activesync", value: "inherit" }),
          400,
          "invalid-input",
        ],
        [
          admin.put("/v1/settings", {
            node: "domain:nope.com",
            feature: "activesync",
            value: "enabled",
          }),
          404,
          "unknown-domain",
        ],
        [
          admin.put("/v1/settings", {
            node: "class:example.com/nope",
            feature: "activesync",
            value: "enabled",
          }),
          404,
          "unknown-class",
        ],
        [
          admin.put("/v1/settings", {
            node: "account:ghost@example.com",
            feature: "activesync",
            value: "enabled",
          }),
          404,
          "unknown-account",
        ],
        [
          admin.put("/v1/settings", {
            node: "domain:example.com",
            feature: "nosuch",
            value: "enabled",
          }),
          404,
          "unknown-feature",
        ],
        [
          admin.put("/v1/settings", {
            node: "planet:mars",
            feature: "activesync",
            value: "enabled",
          }),
          400,
          "invalid-input",
        ],
        [admin.post("/v1/accounts", { id: "no-at-sign" }), 400, "invalid-input"],
        [admin.post("/v1/accounts", { id: "x@nope.com" }), 404, "unknown-domain"],
        [admin.post("/v1/accounts", { id: "user1@example.com" }), 409, "already-exists"],
        [
          admin.put("/v1/licence", { features: { activesync: { seats: 999 } } }),
          400,
          "invalid-input",
        ],
        [
          admin.put("/v1/licence", {
            features: { activesync: { seats: -1 } },
            signature: { key: "00", value: "00" },
          }),
          400,
          "invalid-input",
        ],
        [admin.get("/v1/seats/activesync/capped?limit=0"), 400, "invalid-input"],
        [admin.get("/v1/seats/activesync/capped?limit=ten"), 400, "invalid-input"],
        [admin.get("/v1/seats/nosuch"), 404, "unknown-feature"],
        [admin.get("/v1/explain?account=user1@example.com"), 400, "invalid-input"],
        [admin.get("/v1/no/such/route"), 404, "not-found"],
      ];
      for (const [pending, status, code] of cases) {
        const res = await pending;
        assert.equal(res.status, status, res.text);
        assert.equal(res.json.error.code, code, res.text);
        assert.ok(res.json.error.message.length > 0);
      }
      assert.deepEqual((await admin.get("/v1/export")).json, before, "nothing changed");
      assert.equal((await allPages(admin, "/v1/log")).length, logBefore, "nothing was logged");
    });

    test("licence signatures: an unknown key, a tampered file and an unsigned one are refused; the licence stays", async () => {
      const before = (await admin.get("/v1/licence")).json;
      const dir = tempDir("seatcap-keys-");
      const keygen = seatcap(["licence", "keygen", path.join(dir, "other-vendor")]);
      assert.equal(keygen.status, 0, keygen.stderr);
      const file = path.join(dir, "licence.json");
      writeFileSync(
        file,
        JSON.stringify({ mailboxes: 600, features: { activesync: { seats: 900 } } }),
      );
      const foreign = seatcap([
        "licence",
        "sign",
        "--key",
        path.join(dir, "other-vendor.key"),
        file,
      ]).stdout;
      const bad = await admin.put("/v1/licence", foreign);
      assert.equal(bad.status, 400);
      assert.match(bad.json.error.message, /does not trust/);
      const genuine = JSON.parse(
        seatcap(["licence", "sign", "--key", path.join(server.data, "demo-vendor.key"), file])
          .stdout,
      );
      const tampered = { ...genuine, features: { activesync: { seats: 9000 } } };
      const t = await admin.put("/v1/licence", tampered);
      assert.equal(t.status, 400);
      assert.match(t.json.error.message, /does not verify/);
      const unsigned = await admin.put("/v1/licence", {
        mailboxes: 600,
        features: { activesync: { seats: 900 } },
      });
      assert.match(unsigned.json.error.message, /unsigned/);
      assert.deepEqual((await admin.get("/v1/licence")).json, before);
    });

    test("no token is ever written to the log", () => {
      const out = server.output();
      for (const t of [ADMIN, DOMAIN_A, DOMAIN_B, GATEWAY, "x".repeat(40)])
        assert.ok(!out.includes(t), "a token leaked into the output");
      assert.match(out, /admin token\s+as configured \(not printed\)/);
      assert.match(
        out,
        /PUT \/v1\/settings 409 server-admin/,
        "requests are logged, with the role",
      );
    });

    test(`restart over ${kind} keeps every seat, setting, capped marker and log entry`, async () => {
      const snapshot = async () => ({
        exported: (await admin.get("/v1/export")).json,
        seats: (await admin.get("/v1/seats/activesync")).json,
        log: await allPages(admin, "/v1/log"),
        licence: (await admin.get("/v1/licence")).json,
      });
      const before = await snapshot();
      await server.stop();
      server = await startServer({
        store: kind,
        data: server.data,
        table: server.table,
        args: args(),
      });
      admin = api(server.url, ADMIN);
      assert.match(server.output(), /already holds a directory \(not seeded\)/);
      assert.deepEqual(await snapshot(), before);
      const [holder] = before.seats.holders;
      const res = await connect(holder.account);
      assert.equal(res.status, 207, "a holder keeps its seat across the restart");
    });
  });
}

test("`npm start`'s server: a generated admin token, printed once and kept (0600), the same after a restart; the index page, the OpenAPI document and the demo mail server", async () => {
  const data = tempDir("seatcap-start-");
  let server = await startServer({ data, args: ["--demo"] });
  try {
    const printed = /admin token\s+(\S+)\s+\(generated, kept in (\S+);/.exec(server.output());
    assert.ok(printed, server.output());
    const [, adminToken, file] = printed;
    assert.equal(readFileSync(file, "utf8").trim(), adminToken);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(server.output(), /console\s+http:\/\/127\.0\.0\.1:\d+\//);
    assert.match(
      server.output(),
      /gateway .* a demo mail server on http:\/\/127\.0\.0\.1:\d+\/ \(every account, password `demo`\)/,
    );
    const admin = api(server.url, adminToken);
    assert.deepEqual((await admin.get("/v1/whoami")).json, { kind: "server-admin" });
    const page = await raw(`${server.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers["content-type"], /text\/html/);
    const spec = await api(server.url).get("/v1/openapi.json");
    assert.equal(spec.json.openapi, "3.1.0");
    const through = await raw(`${server.url}${AS}?Cmd=Sync`, {
      method: "POST",
      headers: { authorization: basic("user42@example.com", "demo") },
    });
    assert.equal(through.status, 200);
    assert.match(
      through.body.toString(),
      /demo mail server: POST \/Microsoft-Server-ActiveSync\?Cmd=Sync accepted/,
    );
    assert.equal(
      (await admin.get("/v1/seats/activesync")).json.holders[0].account,
      "user42@example.com",
    );
    await server.stop();
    server = await startServer({ data, args: ["--demo"] });
    assert.ok(!server.output().includes(adminToken), "not printed again after a restart");
    assert.deepEqual(
      (await api(server.url, adminToken).get("/v1/whoami")).json,
      { kind: "server-admin" },
      "the same token after a restart",
    );
  } finally {
    await server.stop();
  }
});

test("every route of the admin API is in the OpenAPI document", () => {
  const source = readFileSync(path.join(import.meta.dirname, "../../js/src/server/app.ts"), "utf8");
  const spec = JSON.parse(
    readFileSync(path.join(import.meta.dirname, "../../docs/openapi.json"), "utf8"),
  );
  const routes = [...source.matchAll(/app\.(get|post|put|delete)\("([^"]+)"/g)].map(
    ([, method, route]) => [method, route.replace(/:(\w+)/g, "{$1}")],
  );
  assert.ok(routes.length >= 20);
  for (const [method, route] of routes)
    assert.ok(spec.paths[route]?.[method], `${method.toUpperCase()} ${route} is documented`);
  const documented = Object.entries(spec.paths).flatMap(([route, ops]) =>
    Object.keys(ops)
      .filter((m) => ["get", "post", "put", "delete"].includes(m))
      .map((m) => `${m} ${route}`),
  );
  for (const op of documented.filter((o) => !o.includes("Microsoft-Server-ActiveSync"))) {
    assert.ok(
      routes.some(([m, r]) => `${m} ${r}` === op),
      `${op} exists in app.ts`,
    );
  }
});

describe("edge server in dev mode", () => {
  let server;
  before(async () => {
    server = await startServer({
      args: ["--demo", "--dev", "--admin-token", "dev-admin-token-0123456789"],
    });
  });
  after(() => server?.stop());

  test("accepts an unsigned licence (and says so) but never a bad signature", async () => {
    const admin = api(server.url, "dev-admin-token-0123456789");
    const res = await admin.put("/v1/licence", {
      mailboxes: 600,
      features: { activesync: { seats: 10 } },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.signature, "unsigned");
    assert.equal((await admin.get("/v1/licence")).json.signedBy, null);
    const dir = tempDir("seatcap-dev-");
    const file = path.join(dir, "l.json");
    writeFileSync(file, JSON.stringify({ features: { activesync: { seats: 10 } } }));
    const signed = JSON.parse(
      seatcap(["licence", "sign", "--key", path.join(server.data, "demo-vendor.key"), file]).stdout,
    );
    signed.features.activesync.seats = 11;
    assert.equal((await admin.put("/v1/licence", signed)).status, 400);
  });
});

test("`seatcap licence verify` checks a file with the Rust core and exits 1 when it does not verify", () => {
  const dir = tempDir("seatcap-verify-");
  const name = path.join(dir, "vendor");
  assert.equal(seatcap(["licence", "keygen", name]).status, 0);
  assert.notEqual(
    seatcap(["licence", "keygen", name]).status,
    0,
    "an existing key is not overwritten",
  );
  const file = path.join(dir, "licence.json");
  writeFileSync(file, JSON.stringify({ mailboxes: 50, features: { activesync: { seats: 20 } } }));
  const signedFile = path.join(dir, "signed.json");
  writeFileSync(signedFile, seatcap(["licence", "sign", "--key", `${name}.key`, file]).stdout);
  const ok = seatcap(["licence", "verify", "--key", `${name}.pub`, signedFile]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /valid: signed by [0-9a-f]{64}; 50 mailboxes; seats: activesync 20/);
  const hex = readFileSync(`${name}.pub`, "utf8").trim();
  const tampered = JSON.parse(readFileSync(signedFile, "utf8"));
  tampered.mailboxes = 5000;
  writeFileSync(signedFile, JSON.stringify(tampered));
  const no = seatcap(["licence", "verify", "--key", hex, signedFile]);
  assert.equal(no.status, 1);
  assert.match(no.stderr, /^seatcap: .*signed\.json: licence file: the signature does not verify/);
});
