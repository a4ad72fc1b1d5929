// The abuse defences and hardening in a real `seatcap serve` process on
// 127.0.0.1 (the in-process detail is in security-limits.test.mjs): the
// limits reach the server from its flags, a path with encoded separators is
// refused before anything is forwarded, a hostile JSON depth is a 400, and
// the generated admin token is printed only when it is made.
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, test } from "node:test";
import { startServer, startUpstream, tempDir } from "./server-helpers.mjs";

const ADMIN = "security-serve-admin-0123456789";

/** A request with its path sent exactly as written (fetch would normalise it). */
function raw(base, method, pathname, headers = {}) {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: hostname, port, method, path: pathname, headers, agent: false },
      (res) => {
        let body = "";
        res
          .setEncoding("utf8")
          .on("data", (d) => (body += d))
          .on("end", () => resolve({ status: res.statusCode, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("a running server's abuse defences", () => {
  let server;
  let upstream;
  before(async () => {
    upstream = await startUpstream();
    // Behind a proxy on loopback: X-Forwarded-For names the client, so one test process can be many addresses.
    server = await startServer({
      args: [
        "--demo",
        "--upstream",
        upstream.url,
        "--admin-token",
        ADMIN,
        "--trust-proxy",
        "loopback",
        "--rate-per-address",
        "5",
        "--lockout-after",
        "3",
      ],
    });
  });
  after(async () => {
    await server?.stop();
    upstream?.close?.();
  });
  const as = (address, token = ADMIN) => ({
    "x-forwarded-for": address,
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  });

  test("--rate-per-address: the sixth request a minute from one client answers 429 with Retry-After; another client goes on", async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await fetch(`${server.url}/v1/whoami`, { headers: as("192.0.2.10") })).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
    const r = await fetch(`${server.url}/v1/whoami`, { headers: as("192.0.2.10") });
    assert.ok(Number(r.headers.get("retry-after")) >= 1);
    assert.equal(
      (await fetch(`${server.url}/v1/whoami`, { headers: as("192.0.2.11") })).status,
      200,
    );
    assert.equal(
      (await fetch(`${server.url}/v1/health`, { headers: as("192.0.2.10") })).status,
      200,
      "health is never limited",
    );
  });

  test("--lockout-after: three bad tokens lock the client out, its good token too", async () => {
    for (let i = 0; i < 3; i++)
      assert.equal(
        (
          await fetch(`${server.url}/v1/whoami`, {
            headers: as("192.0.2.20", `bad-token-${i}-0123456789abc`),
          })
        ).status,
        401,
      );
    const locked = await fetch(`${server.url}/v1/whoami`, { headers: as("192.0.2.20") });
    assert.equal(locked.status, 429);
    assert.equal((await locked.json()).error.code, "rate-limited");
    assert.doesNotMatch(server.output(), /bad-token-/, "a presented token is never logged");
  });

  test("encoded slashes, backslashes and dot segments in a gateway path are refused, never forwarded", async () => {
    const basic = `Basic ${Buffer.from("user1@example.com:pw").toString("base64")}`;
    const before = upstream.requests.length;
    for (const p of [
      "/Microsoft-Server-ActiveSync/..%2f..%2fadmin?Cmd=Sync",
      "/Microsoft-Server-ActiveSync/..%5C..%5Cadmin",
      "/Microsoft-Server-ActiveSync/%252e%252e%252fadmin",
    ]) {
      const r = await raw(server.url, "POST", p, {
        authorization: basic,
        "x-forwarded-for": "192.0.2.30",
      });
      assert.equal(r.status, 400, `${p}: ${r.body}`);
    }
    assert.equal(upstream.requests.length, before, "nothing reached the mail server");
  });

  test("a body nested deeper than 32 levels is 400 invalid-input, not a 5xx", async () => {
    const depth = 20_000; // 40 KB: within the body limit
    const r = await fetch(`${server.url}/v1/licence`, {
      method: "PUT",
      headers: as("192.0.2.40"),
      body: `{"features": {"activesync": {"seats": ${"[".repeat(depth)}${"]".repeat(depth)}}}}`,
    });
    assert.equal(r.status, 400);
    assert.equal((await r.json()).error.code, "invalid-input");
  });
});

describe("the generated admin token", () => {
  test("is printed on the first start only; later starts say where it is kept", async () => {
    const data = tempDir();
    const first = await startServer({ data });
    await first.stop();
    const token = /admin token\s+(\S+)\s+\(generated, kept in/.exec(first.output())?.[1];
    assert.ok(token && token.length >= 32, first.output());
    const second = await startServer({ data });
    await second.stop();
    assert.ok(!second.output().includes(token), "the token is not printed again");
    assert.match(second.output(), /admin token\s+kept in \S+admin-token \(not printed\)/);
  });
});
