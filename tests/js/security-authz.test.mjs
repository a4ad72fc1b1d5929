// The authorisation matrix, generated from the OpenAPI document: every
// documented operation × {server admin, domain admin of A on A, domain admin
// of A on B, gateway token, no token, wrong token}, expecting what the
// operation's `x-seatcap-roles` / `x-seatcap-domain-scoped` annotations say.
// In-process through createHandler (a fresh store per cell, so writes don't
// interfere), then a smaller pass against a real `seatcap serve`.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { Engine, MemoryStore } from "../../dist/node.mjs";
import { createHandler, Tokens } from "../../dist/server.mjs";
import { root } from "./helpers.mjs";
import { startServer } from "./server-helpers.mjs";

const openapi = JSON.parse(readFileSync(path.join(root, "docs/openapi.json"), "utf8"));
const T0 = Date.parse("2026-03-01T00:00:00Z");
const ADMIN = "authz-server-admin-0123456789";
const DOMAIN_A = "authz-domain-admin-a-0123456789";
const GATEWAY = "authz-gateway-token-0123456789";
const WRONG = "authz-not-a-token-0123456789ab";
const A = "a.test";
const B = "b.test";
const METHODS = ["get", "put", "post", "delete", "patch"];

const scenario = () => ({
  licence: { mailboxes: null, features: { activesync: { seats: 3 } } },
  directory: {
    server: { activesync: "enabled" },
    domains: { [A]: { classes: { staff: {} } }, [B]: { classes: { staff: {} } } },
    accounts: [{ id: `x@${A}` }, { id: `x2@${A}` }, { id: `x@${B}` }, { id: `x2@${B}` }],
  },
});

/** A valid request for each operation, naming domain `d` where the operation names one. */
const REQUESTS = {
  health: () => ["GET", "/v1/health"],
  openapi: () => ["GET", "/v1/openapi.json"],
  decide: (d) => ["POST", "/v1/decide", { account: `x@${d}`, feature: "activesync" }],
  whoami: () => ["GET", "/v1/whoami"],
  getDirectory: () => ["GET", "/v1/directory"],
  createDomain: () => ["POST", "/v1/domains", { name: "new.test" }],
  getDomain: (d) => ["GET", `/v1/domains/${d}`],
  createClass: (d) => ["POST", `/v1/domains/${d}/classes`, { name: "interns" }],
  listDomainAccounts: (d) => ["GET", `/v1/domains/${d}/accounts`],
  createAccount: (d) => ["POST", "/v1/accounts", { id: `new@${d}`, class: "staff" }],
  getAccount: (d) => ["GET", `/v1/accounts/x@${d}`],
  deleteAccount: (d) => ["DELETE", `/v1/accounts/x2@${d}`],
  setAccountType: (d) => ["PUT", `/v1/accounts/x2@${d}/type`, { type: "basic" }],
  setSetting: (d) => [
    "PUT",
    "/v1/settings",
    { node: `account:x2@${d}`, feature: "activesync", value: "disabled" },
  ],
  getLicence: () => ["GET", "/v1/licence"],
  uploadLicence: () => [
    "PUT",
    "/v1/licence",
    { mailboxes: null, features: { activesync: { seats: 5 } } },
  ],
  listSeats: () => ["GET", "/v1/seats"],
  getSeats: () => ["GET", "/v1/seats/activesync"],
  listCapped: () => ["GET", "/v1/seats/activesync/capped"],
  listWaitlist: () => ["GET", "/v1/seats/activesync/waitlist"],
  restoreCapped: () => ["POST", "/v1/seats/activesync/restore-capped"],
  explain: (d) => ["GET", `/v1/explain?account=x@${d}&feature=activesync`],
  listLog: () => ["GET", "/v1/log"],
  exportScenario: () => ["GET", "/v1/export"],
  check: () => ["GET", "/v1/check"],
  importScenario: () => ["POST", "/v1/import?replace=true", scenario()],
  replayEvents: () => [
    "POST",
    "/v1/events",
    { events: [{ op: "connect", account: `x2@${A}`, feature: "activesync" }] },
  ],
};

/** The documented /v1 operations. */
const operations = Object.entries(openapi.paths)
  .filter(([p]) => p.startsWith("/v1/"))
  .flatMap(([p, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ path: p, method: m.toUpperCase(), ...item[m] })),
  );

const CALLERS = [
  { name: "server admin", token: ADMIN, role: "server-admin", on: A },
  { name: "domain admin of A on A", token: DOMAIN_A, role: "domain-admin", on: A },
  { name: "domain admin of A on B", token: DOMAIN_A, role: "domain-admin", on: B },
  { name: "gateway token", token: GATEWAY, role: "gateway", on: A },
  { name: "no token", token: undefined, role: "none", on: A },
  { name: "wrong token", token: WRONG, role: "none", on: A },
];

/** What the annotations promise this caller: 2xx, 401 or 403. */
function expected(op, caller) {
  const roles = op["x-seatcap-roles"];
  if (roles.includes("anyone")) return "2xx";
  if (caller.role === "none") return 401;
  if (!roles.includes(caller.role)) return 403;
  if (caller.role === "domain-admin" && caller.on !== A && op["x-seatcap-domain-scoped"])
    return 403;
  return "2xx";
}

function send(fetchOne, caller, op) {
  const [method, route, body] = REQUESTS[op.operationId](caller.on);
  const headers = {
    ...(caller.token ? { authorization: `Bearer ${caller.token}` } : {}),
    ...(body ? { "content-type": "application/json" } : {}),
  };
  return fetchOne(method, route, headers, body === undefined ? undefined : JSON.stringify(body));
}

function check(op, caller, status, text) {
  const want = expected(op, caller);
  const cell = `${op.method} ${op.path} as ${caller.name}`;
  if (want === "2xx")
    assert.ok(status >= 200 && status < 300, `${cell}: expected 2xx, got ${status} ${text}`);
  else assert.equal(status, want, `${cell}: ${text}`);
  assert.ok(
    Object.keys(op.responses).includes(String(status)),
    `${cell}: ${status} is not documented for the operation`,
  );
  // What a domain administrator of A is shown never names B's accounts or B itself.
  if (caller.role === "domain-admin" && status < 300)
    assert.doesNotMatch(text, /b\.test/, `${cell} leaks domain B: ${text}`);
}

describe("the OpenAPI document's role annotations", () => {
  test("every /v1 operation has x-seatcap-roles (and a request in this matrix); every route in app.ts is documented and vice versa", () => {
    const roles = new Set(["anyone", "server-admin", "domain-admin", "gateway"]);
    for (const op of operations) {
      assert.ok(
        Array.isArray(op["x-seatcap-roles"]) && op["x-seatcap-roles"].every((r) => roles.has(r)),
        `${op.operationId}: x-seatcap-roles`,
      );
      assert.ok(REQUESTS[op.operationId], `${op.operationId} has no request in the matrix`);
      assert.equal(
        op["x-seatcap-roles"].includes("anyone"),
        Array.isArray(op.security) && op.security.length === 0,
        `${op.operationId}: "anyone" ⇔ security: []`,
      );
    }
    assert.equal(operations.length, Object.keys(REQUESTS).length);
    const source = readFileSync(path.join(root, "js/src/server/app.ts"), "utf8");
    const routes = [...source.matchAll(/app\.(get|post|put|delete|patch)\("([^"]+)"/g)].map(
      ([, m, p]) => `${m.toUpperCase()} ${p.replace(/:(\w+)/g, "{$1}")}`,
    );
    const documented = operations.map((op) => `${op.method} ${op.path}`);
    assert.deepEqual([...routes].sort(), [...documented].sort());
  });
});

describe("the authorisation matrix in-process (a fresh store per cell)", () => {
  const tokensPromise = Tokens.from({
    serverAdmin: [ADMIN],
    domainAdmin: { [A]: [DOMAIN_A] },
    gateway: [GATEWAY],
  });
  async function freshHandler() {
    const engine = new Engine(new MemoryStore(), { now: () => T0 });
    assert.deepEqual(await engine.importScenario(scenario()), { ok: true });
    // B's holder and a log entry about B, so leaks would show.
    await engine.connect(`x@${B}`, "activesync");
    await engine.by("server-admin").set(`account:x2@${B}`, "activesync", "disabled");
    return createHandler({
      engine,
      tokens: await tokensPromise,
      gateway: { forward: async () => new Response("ok") },
      licence: { trustedKeys: [], devMode: true },
      openapi,
    });
  }
  for (const op of operations) {
    test(`${op.method} ${op.path} (${op["x-seatcap-roles"].join(", ")}${op["x-seatcap-domain-scoped"] ? "; domain-scoped" : ""})`, async () => {
      for (const caller of CALLERS) {
        const handler = await freshHandler();
        const response = await send(
          (method, route, headers, body) =>
            handler.fetch(new Request(`http://seatcap.test${route}`, { method, headers, body })),
          caller,
          op,
        );
        check(op, caller, response.status, await response.text());
      }
    });
  }
});

describe("the authorisation matrix against a real `seatcap serve`", () => {
  let server;
  before(async () => {
    // Default limits: the wrong-token column comes from loopback, which the lockout does not count.
    server = await startServer({
      args: [
        "--dev",
        "--admin-token",
        ADMIN,
        "--domain-token",
        `${A}=${DOMAIN_A}`,
        "--gateway-token",
        GATEWAY,
      ],
    });
    const r = await fetch(`${server.url}/v1/import?replace=true`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify(scenario()),
    });
    assert.equal(r.status, 200, await r.text());
  });
  after(() => server?.stop());

  test("every operation for every caller that must be refused, and every read for those that may read", async () => {
    const fetchOne = async (method, route, headers, body) =>
      fetch(`${server.url}${route}`, { method, headers, body });
    let cells = 0;
    for (const op of operations) {
      for (const caller of CALLERS) {
        const want = expected(op, caller);
        // Writes that succeed would change the shared store; they are covered in-process above.
        if (want === "2xx" && op.method !== "GET") continue;
        const response = await send(fetchOne, caller, op);
        check(op, caller, response.status, await response.text());
        cells++;
      }
    }
    assert.ok(cells > 100, `${cells} cells`);
    const audit = await (
      await fetch(`${server.url}/v1/check`, { headers: { authorization: `Bearer ${ADMIN}` } })
    ).json();
    assert.equal(audit.ok ?? audit.clean ?? true, true, JSON.stringify(audit));
    const exported = await (
      await fetch(`${server.url}/v1/export`, { headers: { authorization: `Bearer ${ADMIN}` } })
    ).json();
    assert.deepEqual(
      exported.directory.accounts.map((a) => a.id).sort(),
      [`x2@${A}`, `x2@${B}`, `x@${A}`, `x@${B}`],
      "no refused write changed anything",
    );
  });
});
