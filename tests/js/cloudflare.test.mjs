// The Cloudflare Workers host (issue 5), in a real workerd: the Worker that
// `wrangler deploy` would upload (bundled by wrangler from
// edge/cloudflare/wrangler.toml) runs under miniflare on 127.0.0.1 with its
// SeatLedger Durable Object persisted to disk, in front of an upstream
// mail-server stub. Secrets arrive as bindings, as `wrangler secret put`
// gives them.
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { simulate, validateScenario } from "../../dist/node.mjs";
import { bundleWorker, startWorker } from "../../edge/cloudflare/local.mjs";
import { conformanceCases, root } from "./helpers.mjs";
import { launchChromium, openConsole, screenshot } from "./console-helpers.mjs";
import {
  api,
  basic,
  raw as rawShared,
  seatcap,
  sha256,
  startUpstream,
  tempDir,
} from "./server-helpers.mjs";

// A connection per request: workerd closes a kept-alive connection whose request body the Worker
// did not read (a denial), and a pooled socket would then fail the next request.
const raw = (url, options = {}) => rawShared(url, { ...options, agent: false });

const ADMIN = "cf-admin-token-0123456789abcdef";
const DOMAIN_ADMIN = "cf-domain-admin-token-0123456789";
const GATEWAY = "cf-gateway-token-0123456789abcd";
const work = tempDir("seatcap-cloudflare-");
// A vendor key made with the CLI; its public half is the Worker's SEATCAP_LICENCE_KEYS secret.
const vendorKey = path.join(work, "vendor");
assert.equal(seatcap(["licence", "keygen", vendorKey]).status, 0);
const vendor = { publicHex: readFileSync(`${vendorKey}.pub`, "utf8").trim() };
function signed(licence) {
  const file = path.join(work, "licence.json");
  writeFileSync(file, JSON.stringify(licence));
  return JSON.parse(seatcap(["licence", "sign", "--key", `${vendorKey}.key`, file]).stdout);
}

let bundle;
let upstream;
let worker;
let admin;

const secrets = () => ({
  SEATCAP_ADMIN_TOKENS: ADMIN,
  SEATCAP_DOMAIN_TOKENS: `example.com=${DOMAIN_ADMIN}`,
  SEATCAP_GATEWAY_TOKENS: GATEWAY,
  SEATCAP_LICENCE_KEYS: vendor.publicHex,
  SEATCAP_UPSTREAM: upstream.url,
});

async function start() {
  worker = await startWorker({
    bundle,
    persist: path.join(work, "durable-objects"),
    secrets: secrets(),
  });
  admin = api(worker.url, ADMIN);
}

before(async () => {
  bundle = await bundleWorker(path.join(work, "bundle"));
  upstream = await startUpstream();
  await start();
});

after(async () => {
  await worker?.dispose();
  await upstream?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Replaces the ledger's whole state with a SPEC scenario (no events). */
async function load(state) {
  // The Worker trusts only vendor-signed licences; `force`: a scenario's licence may be older or expired.
  const r = await admin.post("/v1/import?replace=true&force=true", {
    ...state,
    licence: signed(state.licence),
  });
  assert.equal(r.status, 200, r.text);
}

/** Licence events signed (and forced) as a trusting Worker requires; the outcomes are the same. A licence the CLI can't sign (a case's invalid event) stays as it is. */
function signedEvents(events) {
  return events.map((e) => {
    if (e.op !== "licence" || !e.licence) return e;
    try {
      return { ...e, licence: signed(e.licence), force: true };
    } catch {
      return e;
    }
  });
}

const kb = (n) => `${(n / 1000).toFixed(1)} KB`;

test("the bundle wrangler deploys: Worker + wasm, no Node built-ins; its size is printed", () => {
  const { worker: js, wasm } = bundle.sizes;
  console.log(
    `[cloudflare] bundle from wrangler deploy --dry-run: Worker ${kb(js.raw)} (${kb(js.gzip)} gzip) + wasm ${kb(wasm.raw)} (${kb(wasm.gzip)} gzip)` +
      ` = ${kb(js.raw + wasm.raw)} raw, ${kb(js.gzip + wasm.gzip)} gzip`,
  );
  // The same optimised engine as every other host.
  assert.equal(wasm.raw, readFileSync(path.join(root, "dist/seatcap_bg.wasm")).length);
  const text = readFileSync(bundle.main, "utf8");
  assert.doesNotMatch(
    text,
    /from\s*"node:|require\("node:/,
    "no Node built-ins: the Worker needs no nodejs_compat",
  );
  assert.match(
    text,
    /SeatLedger = class extends DurableObject/,
    "the Durable Object class is in the bundle",
  );
});

test("health and the OpenAPI document come from the Worker, the console from its static assets", async () => {
  const health = await api(worker.url).get("/v1/health");
  assert.deepEqual(health.json, { status: "ok", version: "0.1.0" });
  const doc = await api(worker.url).get("/v1/openapi.json");
  assert.equal(doc.status, 200);
  assert.deepEqual(
    doc.json,
    JSON.parse(readFileSync(path.join(root, "docs/openapi.json"), "utf8")),
  );
  // wrangler.toml's [assets]: dist/www, the same files `seatcap serve` serves.
  const page = await raw(`${worker.url}/`);
  assert.equal(page.status, 200);
  assert.equal(page.body.toString(), readFileSync(path.join(root, "dist/www/index.html"), "utf8"));
  const script = await raw(`${worker.url}/app.js`);
  assert.equal(script.status, 200);
  assert.equal(sha256(script.body), sha256(readFileSync(path.join(root, "dist/www/app.js"))));
  // The rules page the console links to (`rules.html#rN`); the assets' default html_handling
  // serves it at /rules.
  const rules = await fetch(`${worker.url}/rules.html`);
  assert.equal(rules.status, 200);
  const html = await rules.text();
  assert.equal(html, readFileSync(path.join(root, "dist/www/rules.html"), "utf8"));
  assert.match(html, /<a id="r5"><\/a>/);
});

describe("the conformance scenarios through the Worker equal simulate", () => {
  for (const c of conformanceCases()) {
    test(`${c.name} (${c.rule}): import + POST /v1/events + export`, async () => {
      const { events = [], ...state } = c.scenario;
      await load(state);
      const start = validateScenario(c.scenario).summary.start;
      const ran = await admin.post("/v1/events", { events: signedEvents(events), start });
      assert.equal(ran.status, 200, ran.text);
      assert.deepStrictEqual(
        ran.json.outcomes,
        c.outcome.events,
        "each event's outcome, as simulate records it",
      );
      const exported = await admin.get("/v1/export");
      assert.equal(exported.status, 200);
      assert.deepStrictEqual(
        simulate(exported.json).outcome.state,
        c.outcome.state,
        "the stored state, as simulate records it",
      );
      assert.deepEqual((await admin.get("/v1/check")).json, { problems: [], overLimit: [] });
    });
  }
});

const ACCOUNTS = 600;
const SEATS = 250;
const accountName = (i) => `u${String(i).padStart(3, "0")}@example.com`;

describe("the ActiveSync gateway in the Worker", () => {
  before(() =>
    load({
      licence: { mailboxes: null, features: { activesync: { seats: SEATS } } },
      directory: {
        server: { activesync: "enabled" },
        domains: { "example.com": {}, "other.org": { settings: { activesync: "disabled" } } },
        accounts: [
          ...Array.from({ length: ACCOUNTS }, (_, i) => ({ id: accountName(i) })),
          { id: "nobody@other.org" },
        ],
      },
    }),
  );

  test("an allowed account reaches the upstream with its method, path, headers and body; the answer comes back", async () => {
    const before = upstream.requests.length;
    // While the mail server holds the forwarded request, the ledger already holds the seat.
    upstream.onRequest = async (q) =>
      q.method === "POST"
        ? (await admin.get("/v1/seats/activesync")).json.holders.map((h) => h.account)
        : undefined;
    const body = Buffer.from("wbxml-sync-request-".repeat(500));
    const r = await raw(`${worker.url}/Microsoft-Server-ActiveSync?Cmd=Sync&DeviceId=dev1`, {
      method: "POST",
      headers: {
        authorization: basic(accountName(0)),
        "content-type": "application/vnd.ms-sync.wbxml",
        "ms-asprotocolversion": "16.1",
      },
      body,
    });
    assert.equal(r.status, 207);
    assert.equal(r.headers["x-upstream-body-sha256"], sha256(body));
    assert.deepEqual(r.headers["set-cookie"], ["a=1; Path=/", "b=2; Path=/"]);
    const seen = upstream.requests.slice(before);
    // A new claim first asks the mail server whether the credentials are good (the first probe is
    // preceded by one with a made-up credential: does this mail server's OPTIONS check anything?), then forwards.
    assert.deepEqual(
      seen.map((q) => q.method),
      ["OPTIONS", "OPTIONS", "POST"],
    );
    const forwarded = seen[2];
    assert.equal(forwarded.url, "/Microsoft-Server-ActiveSync?Cmd=Sync&DeviceId=dev1");
    assert.equal(forwarded.headers.authorization, basic(accountName(0)));
    assert.equal(forwarded.headers["ms-asprotocolversion"], "16.1");
    assert.equal(forwarded.headers["x-forwarded-proto"], "http");
    assert.equal(sha256(forwarded.body), sha256(body));
    upstream.onRequest = undefined;
    assert.deepEqual(
      forwarded.observed,
      [accountName(0)],
      "the decision was stored before the request was forwarded",
    );
  });

  test("a denied account gets 403 with the reason and never reaches the upstream; bad credentials take no seat", async () => {
    const before = upstream.real().length;
    const denied = await raw(`${worker.url}/Microsoft-Server-ActiveSync?Cmd=Sync`, {
      method: "POST",
      headers: { authorization: basic("nobody@other.org") },
      body: "x",
      agent: false,
    });
    assert.equal(denied.status, 403);
    assert.equal(denied.headers["x-seatcap-reason"], "disabled");
    assert.match(denied.body.toString(), /denied for nobody@other.org: disabled/);
    assert.equal(
      upstream.real().length,
      before,
      "a denied request never leaves the Worker (only the credential probe does)",
    );

    const wrong = await raw(`${worker.url}/Microsoft-Server-ActiveSync?Cmd=Sync`, {
      method: "POST",
      headers: { authorization: basic(accountName(1), "wrong") },
      body: "x",
    });
    assert.equal(wrong.status, 401, "the mail server's refusal comes back");
    const noAuth = await raw(
      `${worker.url}/Microsoft-Server-ActiveSync?Cmd=Sync&User=${accountName(1)}`,
      { method: "POST", body: "x" },
    );
    assert.equal(noAuth.status, 401);
    const options = await raw(`${worker.url}/Microsoft-Server-ActiveSync`, {
      method: "OPTIONS",
      headers: { authorization: basic(accountName(2)) },
    });
    assert.equal(options.status, 200, "OPTIONS goes through without a seat");
    const seats = await admin.get("/v1/seats/activesync");
    assert.equal(
      seats.json.used,
      1,
      "refused credentials, a bare ?User= and OPTIONS claimed nothing",
    );
  });

  test(`R4/R5/R14: ${ACCOUNTS - 1} concurrent connects for ${SEATS - 1} free seats grant exactly the seats, first come first served`, async () => {
    const before = upstream.real().length;
    const names = Array.from({ length: ACCOUNTS - 1 }, (_, i) => accountName(i + 1));
    // Every request is in flight at once.
    const answers = await Promise.all(
      names.map(async (account) => {
        const r = await raw(`${worker.url}/Microsoft-Server-ActiveSync?Cmd=Ping`, {
          method: "POST",
          headers: { authorization: basic(account) },
          body: "ping",
        });
        return { account, status: r.status, reason: r.headers["x-seatcap-reason"] };
      }),
    );
    const granted = answers.filter((a) => a.status === 207).map((a) => a.account);
    const refused = answers.filter((a) => a.status !== 207);
    assert.equal(granted.length, SEATS - 1, "exactly the free seats are granted");
    assert.deepEqual(
      [...new Set(refused.map((a) => `${a.status} ${a.reason}`))],
      ["403 capped"],
      "every other account is capped (R5)",
    );
    assert.equal(
      upstream.real().length - before,
      SEATS - 1,
      "the upstream saw exactly the granted requests",
    );

    // The ledger holds exactly the granted accounts, and every cap came after the last seat went.
    const seats = (await admin.get("/v1/seats/activesync")).json;
    assert.equal(seats.used, SEATS);
    assert.equal(seats.free, 0);
    assert.deepEqual(
      new Set(seats.holders.map((h) => h.account)),
      new Set([accountName(0), ...granted]),
    );
    const capped = [];
    for (let after = ""; ; ) {
      const page = (
        await admin.get(
          `/v1/seats/activesync/capped?limit=200${after ? `&after=${encodeURIComponent(after)}` : ""}`,
        )
      ).json;
      capped.push(...page.items);
      if (!page.next) break;
      after = page.next;
    }
    assert.deepEqual(new Set(capped.map((c) => c.account)), new Set(refused.map((a) => a.account)));
    const lastClaim = Math.max(...seats.holders.map((h) => Date.parse(h.since)));
    const firstCap = Math.min(...capped.map((c) => Date.parse(c.at)));
    assert.ok(lastClaim <= firstCap, "no account was capped while a seat was still free");
    assert.deepEqual((await admin.get("/v1/check")).json, { problems: [], overLimit: [] });

    // R5: holders are retained, capped accounts stay capped.
    const again = await raw(`${worker.url}/Microsoft-Server-ActiveSync?Cmd=Ping`, {
      method: "POST",
      headers: { authorization: basic(granted[0]) },
      body: "ping",
    });
    assert.equal(again.status, 207);
    const still = await raw(`${worker.url}/Microsoft-Server-ActiveSync?Cmd=Ping`, {
      method: "POST",
      headers: { authorization: basic(refused[0].account) },
      body: "ping",
    });
    assert.equal(still.status, 403);
    assert.equal(still.headers["x-seatcap-reason"], "capped");
  });

  test("the admin API through the Worker: roles from secret bindings, signed licences against the trusted key", async () => {
    assert.equal((await api(worker.url).get("/v1/seats")).status, 401);
    assert.equal(
      (await api(worker.url, "not-a-configured-token-at-all").get("/v1/seats")).status,
      401,
    );
    const gateway = api(worker.url, GATEWAY);
    assert.equal((await gateway.get("/v1/seats")).status, 403, "a gateway token may only decide");
    const decided = await gateway.post("/v1/decide", {
      account: accountName(0),
      feature: "activesync",
    });
    assert.deepEqual(decided.json, { allowed: true, reason: "seat-held", source: "server" });

    const domainAdmin = api(worker.url, DOMAIN_ADMIN);
    assert.deepEqual(Object.keys((await domainAdmin.get("/v1/directory")).json.domains), [
      "example.com",
    ]);
    assert.equal((await domainAdmin.get("/v1/domains/other.org")).status, 403);
    assert.equal(
      (await domainAdmin.post("/v1/import", {})).status,
      403,
      "only a server administrator imports",
    );

    const licence = { mailboxes: null, features: { activesync: { seats: SEATS + 10 } } };
    const unsigned = await admin.put("/v1/licence", licence);
    assert.equal(unsigned.status, 400, "unsigned licences are refused outside dev mode");
    const upload = await admin.put("/v1/licence", signed(licence));
    assert.equal(upload.status, 200, upload.text);
    assert.deepEqual(upload.json, { ok: true, signedBy: vendor.publicHex, signature: "verified" });
    assert.equal((await admin.get("/v1/seats/activesync")).json.free, 10);

    const log = (await admin.get("/v1/log?limit=10000")).json.items;
    assert.ok(
      log.some((e) => e.actor === "server-admin" && e.request.op === "licence"),
      "the upload is in the change log",
    );
  });

  test("bad input through the Worker changes nothing", async () => {
    const before = (await admin.get("/v1/export")).json;
    const bad = [
      await admin.post("/v1/events", { events: "not a list" }),
      await admin.post("/v1/events", { events: [], start: "yesterday" }),
      await admin.post("/v1/import?replace=maybe", {}),
      await admin.post("/v1/import?replace=true", { licence: { features: {} } }),
      await admin.post("/v1/import", before),
      await admin.put("/v1/settings", {
        node: "server",
        feature: "activesync",
        value: "sometimes",
      }),
      await admin.post("/v1/decide", "{not json"),
    ];
    assert.deepEqual(
      bad.map((r) => r.status),
      [400, 400, 400, 400, 409, 400, 400],
    );
    for (const r of bad) assert.ok(r.json.error.code, r.text);
    assert.deepStrictEqual((await admin.get("/v1/export")).json, before);
  });
});

test("the console from the Worker's static assets: the admin half reads the Durable Object, the simulator runs the wasm in the browser", async () => {
  const browser = await launchChromium();
  try {
    const { page, errors } = await openConsole(browser.context, worker.url, "/#/admin");
    await page.getByLabel("Administrator token").fill(ADMIN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator('[data-seats="activesync"]').waitFor();
    const number = async (selector) => Number((await page.textContent(selector)).replace(/,/g, ""));
    const live = (await admin.get("/v1/seats/activesync")).json;
    assert.equal(await number('[data-seats="activesync"] [data-stat="used"] .value'), live.used);
    assert.equal(await number('[data-seats="activesync"] [data-stat="free"] .value'), live.free);
    await screenshot(page, "worker-admin-seats");

    await page.evaluate(() => (location.hash = "#/sim"));
    await page.click('[data-action="preset-axigen"]');
    await page.click('[data-action="run"]');
    await page.waitForSelector('[data-results="run"]');
    assert.equal(await number('[data-stat="holders"] .value'), 200);
    assert.equal(await number('[data-stat="capped"] .value'), 300);
    await screenshot(page, "worker-sim-results");
    assert.deepEqual(errors, [], "no page or console errors");
  } finally {
    await browser.close();
  }
});

test("the Durable Object's state survives a restart of the runtime", async () => {
  const before = {
    exported: (await admin.get("/v1/export")).json,
    log: (await admin.get("/v1/log?limit=10000")).json.items,
    licence: (await admin.get("/v1/licence")).json,
  };
  assert.equal(before.exported.directory.accounts.length, ACCOUNTS + 1);
  await worker.dispose();
  await start();
  assert.deepStrictEqual(
    (await admin.get("/v1/export")).json,
    before.exported,
    "every seat, setting and capped marker",
  );
  assert.deepStrictEqual(
    (await admin.get("/v1/log?limit=10000")).json.items,
    before.log,
    "the change log",
  );
  assert.deepStrictEqual(
    (await admin.get("/v1/licence")).json,
    before.licence,
    "the licence and who signed it",
  );
  const holder = before.exported.seats.activesync.holders[0].account;
  const r = await raw(`${worker.url}/Microsoft-Server-ActiveSync?Cmd=Ping`, {
    method: "POST",
    headers: { authorization: basic(holder) },
    body: "ping",
  });
  assert.equal(r.status, 207, "a holder keeps its seat across the restart");
});

test("a misconfigured Worker answers 500 naming the setting, never a secret's value", async () => {
  const broken = await startWorker({
    bundle,
    persist: path.join(work, "broken"),
    secrets: { SEATCAP_ADMIN_TOKENS: "shortsecret" },
  });
  try {
    const r = await api(broken.url, "shortsecret").get("/v1/seats");
    assert.equal(r.status, 500);
    assert.match(
      r.json.error.message,
      /misconfigured: a server-admin token must be at least 16 characters/,
    );
    assert.doesNotMatch(r.text, /shortsecret/);
  } finally {
    await broken.dispose();
  }
});
