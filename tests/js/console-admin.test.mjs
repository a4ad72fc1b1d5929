// The admin console (www/src/admin) end to end: Debian's Chromium against a
// real `seatcap serve` on 127.0.0.1 serving dist/www/ and the admin API.
// Every test seeds the store itself (POST /v1/import?replace=true, then live
// connects through POST /v1/events) and checks what the page shows against
// what the API answers. Screenshots of each view go to .artifacts/console/.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { checkRuleLinks, ruleLinks, ruleSpeak } from "./console-helpers.mjs";
import { launchChromium, root, startStaticServer } from "./helpers.mjs";
import { api, seatcap, startServer, tempDir } from "./server-helpers.mjs";

const ADMIN = `console-admin-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
const EXAMPLE_ADMIN = `console-example-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
const SHOTS = path.join(root, ".artifacts/console");

/**
 * Axigen's example in small: example.com enabled (20 users and a boss in class
 * `sales`), other.org disabled (4 accounts), 5 ActiveSync seats.
 */
const SCENARIO = {
  licence: { mailboxes: 100, features: { activesync: { seats: 5 } } },
  directory: {
    server: { activesync: "disabled" },
    domains: {
      "example.com": { settings: { activesync: "enabled" }, classes: { sales: { settings: {} } } },
      "other.org": { settings: { activesync: "disabled" } },
    },
    accounts: [
      { id: "alice@other.org" },
      { id: "bob@other.org" },
      { id: "carol@other.org" },
      { id: "dave@other.org" },
      { id: "boss@example.com", class: "sales" },
    ],
    generate: [{ domain: "example.com", count: 20, prefix: "user" }],
  },
};
const connect = (n) => ({ op: "connect", account: `user${n}@example.com`, feature: "activesync" });
/** user1…user5 claim the 5 seats in that order (R4); user6 and user7 come after and are capped (R5). */
const FULL = [1, 2, 3, 4, 5, 6, 7].map(connect);

let server;
let browser;
let admin;

async function seed(events = FULL, scenario = SCENARIO) {
  const imported = await admin.post("/v1/import?replace=true", scenario);
  assert.equal(imported.status, 200, imported.text);
  if (events.length) {
    const ran = await admin.post("/v1/events", { events });
    assert.equal(ran.status, 200, ran.text);
    return ran.json.outcomes;
  }
  return [];
}

async function newPage({ width = 1280, height = 800 } = {}) {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width, height });
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  page.problems = problems;
  return page;
}

async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `admin-${name}.png`), fullPage: true });
}

async function signIn(page, token = ADMIN) {
  await page.goto(`${server.url}/#/admin`);
  await page.getByLabel("Administrator token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator(".admin-bar").waitFor();
}

/** Navigates inside the console and waits for the new view's heading. */
async function go(page, hash, heading) {
  await page.evaluate((h) => (location.hash = h), hash);
  await page.locator(".admin-view h1", { hasText: heading }).waitFor();
}

const texts = (locator) => locator.allTextContents().then((all) => all.map((t) => t.trim()));

async function openEditor(page, feature) {
  await page.click(`[data-change="${feature}"]`);
  await page.locator("[data-editor]").waitFor();
}

async function preview(page, value) {
  await page.getByLabel("New setting").selectOption(value);
  await page.getByRole("button", { name: "Preview change" }).click();
  await page.locator(".preview").waitFor({ timeout: 30_000 });
}

before(async () => {
  server = await startServer({
    args: [
      "--demo",
      "--dev",
      "--admin-token",
      ADMIN,
      "--domain-token",
      `example.com=${EXAMPLE_ADMIN}`,
    ],
  });
  admin = api(server.url, ADMIN);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe("admin console", () => {
  test("signs in with a token (a wrong one is refused beside the field), says who you are, signs out", async () => {
    await seed();
    const page = await newPage();
    await page.goto(`${server.url}/#/admin`);
    const field = page.getByLabel("Administrator token");
    assert.equal(await field.getAttribute("type"), "password");
    await shot(page, "signin");
    await field.fill("not-a-token-of-this-server");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator(".signin .error").waitFor();
    assert.match(await page.locator(".signin .error").textContent(), /does not know this token/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem("seatcap.admin.token")), null);

    await signIn(page);
    assert.match(
      await page.locator(".admin-bar").textContent(),
      /Signed in as server administrator/,
    );
    assert.equal(await page.evaluate(() => sessionStorage.getItem("seatcap.admin.token")), ADMIN);
    // A reload keeps the session (sessionStorage), without asking again.
    await page.reload();
    await page.locator(".admin-bar").waitFor();
    await page.click("[data-signout]");
    await page.getByLabel("Administrator token").waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem("seatcap.admin.token")), null);
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test("seats page: used / free / limit, holders in claim order with since, last seen, via; capped and waiting lists", async () => {
    await seed();
    // One more claim through the decision API, as a gateway of another protocol would ask.
    const freed = await admin.put("/v1/settings", {
      node: "account:user5@example.com",
      feature: "activesync",
      value: "disabled",
    });
    assert.equal(freed.status, 200, freed.text);
    const decided = await admin.post("/v1/decide", {
      account: "boss@example.com",
      feature: "activesync",
    });
    assert.equal(decided.json.reason, "seat-claimed");

    const page = await newPage();
    await signIn(page);
    await page.locator('[data-seats="activesync"]').waitFor();
    const stat = (name) =>
      page.locator(`[data-seats="activesync"] [data-stat="${name}"] .value`).textContent();
    assert.deepEqual(
      [await stat("used"), await stat("free"), await stat("limit"), await stat("waiting")],
      ["5", "0", "5", "0"],
    );
    await shot(page, "seats");

    await go(page, "#/admin/seats/activesync", "activesync seats");
    const live = (await admin.get("/v1/seats/activesync")).json;
    const shown = await texts(page.locator("[data-list=holders] tbody tr th"));
    assert.deepEqual(
      shown,
      live.holders.map((x) => x.account),
    );
    assert.deepEqual(shown, [
      "user1@example.com",
      "user2@example.com",
      "user3@example.com",
      "user4@example.com",
      "boss@example.com",
    ]);
    const bossRow = page.locator('[data-holder="boss@example.com"] td');
    const cells = await texts(bossRow);
    assert.equal(cells[0], "5", "the claim position");
    assert.match(cells[1], /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/, "since");
    assert.match(cells[2], /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/, "last seen");
    assert.equal(cells[3], "connect");
    assert.deepEqual(await texts(page.locator("[data-list=capped] tbody th")), [
      "user6@example.com",
      "user7@example.com",
    ]);
    assert.match(await page.locator("#waiting-h + p").textContent(), /Overflow policy is disable/);
    // The filter keeps each holder's claim position.
    await page.getByLabel("Filter holders").fill("user3");
    assert.deepEqual(await texts(page.locator("[data-list=holders] tbody td.num")), ["3"]);
    await page.getByLabel("Filter holders").fill("");
    await shot(page, "seats-feature");
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test("numbers are formatted: a 1,500-seat licence and its free seats read with separators", async () => {
    await seed([connect(1)], {
      ...SCENARIO,
      licence: { mailboxes: 5000, features: { activesync: { seats: 1500 } } },
    });
    const page = await newPage();
    await signIn(page);
    await page.locator('[data-seats="activesync"]').waitFor();
    assert.equal(
      await page.locator('[data-seats="activesync"] [data-stat="limit"] .value').textContent(),
      "1,500",
    );
    assert.equal(
      await page.locator('[data-seats="activesync"] [data-stat="free"] .value').textContent(),
      "1,499",
    );
    await page.close();
  });

  test("directory: domains → classes → accounts, each feature with setting, effective value and source; paged and searchable", async () => {
    await seed();
    await admin.put("/v1/settings", {
      node: "class:example.com/sales",
      feature: "activesync",
      value: "disabled",
    });
    const page = await newPage();
    await signIn(page);
    await go(page, "#/admin/directory", "Directory");
    assert.deepEqual(await texts(page.locator(".tree [data-domain]")), [
      "example.com",
      "other.org",
    ]);
    await shot(page, "directory");

    await go(page, "#/admin/directory/example.com", "example.com");
    const domainRow = page.locator(
      '[data-node="domain:example.com"] tr[data-feature="activesync"]',
    );
    assert.equal(await domainRow.locator('[data-col="effective"]').textContent(), "enabled");
    assert.equal(await domainRow.locator('[data-col="source"]').textContent(), "set here");
    // Accounts, 50 a page in id order: 21 here, so one page.
    const ids = await texts(page.locator("tr[data-account] th"));
    assert.equal(ids.length, 21);
    assert.deepEqual(ids, [...ids].sort());
    const user1 = page.locator(
      'tr[data-account="user1@example.com"] td[data-feature="activesync"]',
    );
    assert.match(await user1.textContent(), /enabled.*from domain example\.com.*seat/);
    const user6 = page.locator(
      'tr[data-account="user6@example.com"] td[data-feature="activesync"]',
    );
    assert.match(await user6.textContent(), /disabled.*set here.*capped/);
    const boss = page.locator('tr[data-account="boss@example.com"] td[data-feature="activesync"]');
    assert.match(await boss.textContent(), /disabled.*from class sales \(example\.com\)/);
    await shot(page, "domain");

    // Search by the start of an id.
    await page.getByLabel("Find accounts by id").fill("user1");
    await page.getByRole("button", { name: "Find" }).click();
    await page.waitForFunction(() => document.querySelectorAll("tr[data-account]").length === 11);
    const found = await texts(page.locator("tr[data-account] th"));
    assert.ok(
      found.every((id) => id.startsWith("user1")),
      found.join(),
    );
    // A full id opens the account: per feature setting, effective, source, seat.
    await page.getByLabel("Find accounts by id").fill("user2@example.com");
    await page.getByRole("button", { name: "Find" }).click();
    await page.locator(".admin-view h1", { hasText: "user2@example.com" }).waitFor();
    const row = page.locator(
      '[data-node="account:user2@example.com"] tr[data-feature="activesync"]',
    );
    assert.equal(await row.locator('[data-col="setting"]').textContent(), "inherit");
    assert.equal(await row.locator('[data-col="effective"]').textContent(), "enabled");
    assert.equal(
      await row.locator('[data-col="source"]').textContent(),
      "inherited from domain example.com",
    );
    assert.match(
      await row.locator('[data-seat="held"]').textContent(),
      /held\s*since .* via connect/,
    );
    await page.getByRole("button", { name: "Explain activesync for user2@example.com" }).click();
    await page.locator(".explain").waitFor();
    assert.match(
      await page.locator(".explain").textContent(),
      /if it connects now, it is allowed \(it already holds a seat\)/,
    );
    await shot(page, "account");
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test("preview then apply: the preview lists who gains, loses or would be capped; nothing is written before Apply", async () => {
    // Seats full, then user5 disabled by an administrator: 4 holders, 1 seat free, user6 and user7 capped.
    await seed([
      ...FULL,
      { op: "set", node: "account:user5@example.com", feature: "activesync", value: "disabled" },
    ]);
    const page = await newPage();
    await signIn(page);

    // 1. Disabling a holder: it loses its seat (R7).
    await go(page, "#/admin/accounts/user1@example.com", "user1@example.com");
    await openEditor(page, "activesync");
    await preview(page, "disabled");
    assert.deepEqual(await texts(page.locator('[data-preview="losses"] li')), [
      "user1@example.com",
    ]);
    assert.equal(await page.locator('[data-preview="gains"]').count(), 0);
    assert.equal(await page.locator('[data-stat="used-before"] .value').textContent(), "4");
    assert.equal(await page.locator('[data-stat="used-after"] .value').textContent(), "3");
    await shot(page, "preview-disable");
    let live = (await admin.get("/v1/accounts/user1@example.com")).json.features.activesync;
    assert.equal(live.setting, "inherit", "the preview wrote nothing");
    assert.notEqual(live.seat, null, "user1 still holds its seat before Apply");
    await page.click("[data-apply]");
    await page.locator(".flash.good").waitFor();
    assert.match(
      await page.locator(".flash.good").textContent(),
      /activesync for account user1@example\.com is now disabled/,
    );
    live = (await admin.get("/v1/accounts/user1@example.com")).json.features.activesync;
    assert.equal(live.setting, "disabled");
    assert.equal(live.seat, null);
    // The page refreshed from the server.
    assert.equal(
      await page.locator('tr[data-feature="activesync"] [data-col="setting"]').textContent(),
      "disabled",
    );
    assert.equal(await page.locator('[data-seat="none"]').count(), 1);

    // 2. Enabling a capped account: the admin write clears its marker and reserves a seat (R6).
    await go(page, "#/admin/accounts/user6@example.com", "user6@example.com");
    await openEditor(page, "activesync");
    await preview(page, "enabled");
    assert.deepEqual(await texts(page.locator('[data-preview="gains"] li')), ["user6@example.com"]);
    assert.deepEqual(await texts(page.locator('[data-preview="uncapped"] li')), [
      "user6@example.com",
    ]);
    assert.equal(
      (await admin.get("/v1/accounts/user6@example.com")).json.features.activesync.seat,
      null,
      "nothing written before Apply",
    );
    await page.click("[data-apply]");
    await page.locator(".flash.good").waitFor();
    const seat = (await admin.get("/v1/accounts/user6@example.com")).json.features.activesync.seat;
    assert.equal(seat?.via, "admin");

    // 3. Enabling a whole domain with 4 accounts and 1 free seat: no seat moves now; at their first
    //    connect one would claim the free seat and three would be capped.
    await go(page, "#/admin/directory/other.org", "other.org");
    await openEditor(page, "activesync");
    await preview(page, "enabled");
    assert.equal(await page.locator('[data-preview="no-seat-change"]').count(), 1);
    assert.match(
      await page.locator('[data-preview="effective"] summary').textContent(),
      /4 turned on, 0 turned off/,
    );
    assert.deepEqual(await texts(page.locator('[data-preview="would-claim"] li')), [
      "alice@other.org",
    ]);
    assert.deepEqual(await texts(page.locator('[data-preview="would-cap"] li')), [
      "bob@other.org",
      "carol@other.org",
      "dave@other.org",
    ]);
    await shot(page, "preview-domain");
    assert.equal(
      (await admin.get("/v1/domains/other.org")).json.settings.activesync,
      "disabled",
      "nothing written before Apply",
    );
    // Changing the value throws the preview away: Apply needs a fresh one.
    await page.getByLabel("New setting").selectOption("disabled");
    assert.equal(await page.locator("[data-apply]").count(), 0);
    await preview(page, "enabled");
    await page.click("[data-apply]");
    await page.locator(".flash.good").waitFor();
    assert.equal((await admin.get("/v1/domains/other.org")).json.settings.activesync, "enabled");
    assert.equal(
      (await admin.get("/v1/seats/activesync")).json.used,
      4,
      "a domain enable claims no seat by itself",
    );
    assert.equal(
      await page
        .locator(
          '[data-node="domain:other.org"] tr[data-feature="activesync"] [data-col="effective"]',
        )
        .textContent(),
      "enabled",
    );
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test("R6: an enable with no seat free is refused by the server with seats-exhausted and the holders listed", async () => {
    await seed();
    const page = await newPage();
    await signIn(page);
    await go(page, "#/admin/accounts/alice@other.org", "alice@other.org");
    await openEditor(page, "activesync");
    await preview(page, "enabled");
    // The preview already knows (the simulated set event is refused) …
    const predicted = page.locator('.preview [data-error="seats-exhausted"]');
    await predicted.waitFor();
    assert.match(await predicted.textContent(), /would refuse/);
    const holders = [
      "user1@example.com",
      "user2@example.com",
      "user3@example.com",
      "user4@example.com",
      "user5@example.com",
    ];
    assert.deepEqual(await texts(predicted.locator("li")), holders);
    // … and the server refuses it when applied anyway.
    await page.getByRole("button", { name: "Try to apply anyway" }).click();
    const refused = page.locator('.apply-answer [data-error="seats-exhausted"]');
    await refused.waitFor();
    assert.match(
      await refused.textContent(),
      /The server refused the change: no seat is free\. All 5 seats .* are held; disable a holder first\./,
    );
    assert.deepEqual(await texts(refused.locator("li")), holders);
    // Each holder links to its account, where it can be disabled.
    assert.equal(
      await refused.locator("li a").first().getAttribute("href"),
      "#/admin/accounts/user1%40example.com",
    );
    await shot(page, "r6-refused");
    const live = (await admin.get("/v1/accounts/alice@other.org")).json.features.activesync;
    assert.deepEqual([live.setting, live.seat], ["inherit", null], "R6: nothing changed");
    assert.equal((await admin.get("/v1/seats/activesync")).json.used, 5);
    await page.close();
  });

  test("R11: restore the capped accounts from the capped list", async () => {
    await seed();
    const page = await newPage();
    await signIn(page);
    await go(page, "#/admin/seats/activesync", "activesync seats");
    assert.deepEqual(await texts(page.locator("[data-list=capped] tbody th")), [
      "user6@example.com",
      "user7@example.com",
    ]);
    await page.click('[data-restore="start"]');
    const confirm = page.locator('[data-restore="confirm"]');
    await confirm.waitFor();
    assert.equal(
      await page.evaluate(() => document.activeElement?.getAttribute("data-restore")),
      "confirm",
      "focus moves to the confirmation",
    );
    assert.equal(
      (await admin.get("/v1/seats/activesync/capped")).json.items.length,
      2,
      "asking to confirm wrote nothing",
    );
    await shot(page, "restore-confirm");
    await confirm.click();
    await page.locator(".flash.good").waitFor();
    assert.match(
      await page.locator(".flash.good").textContent(),
      /Restored 2 capped accounts of activesync/,
    );
    assert.match(
      await page.locator('[data-list="capped-empty"]').textContent(),
      /No capped account/,
    );
    assert.equal(await page.locator("[data-list=capped]").count(), 0);
    assert.deepEqual((await admin.get("/v1/seats/activesync/capped")).json.items, []);
    const user6 = (await admin.get("/v1/accounts/user6@example.com")).json.features.activesync;
    assert.deepEqual([user6.setting, user6.cappedAt], ["inherit", null]);
    await shot(page, "restored");
    await page.close();
  });

  test("audit log: who, when, what, before → after, seats moved", async () => {
    await seed();
    await admin.put("/v1/settings", {
      node: "account:user2@example.com",
      feature: "activesync",
      value: "disabled",
    });
    await admin.post("/v1/seats/activesync/restore-capped");
    const page = await newPage();
    await signIn(page);
    await go(page, "#/admin/log", "Audit log");
    // Oldest first, 50 a page, as the server pages it: "Newest" walks to the last page.
    const pages = [];
    for (let after; ; ) {
      const res = await admin.get(
        `/v1/log?limit=50${after ? `&after=${encodeURIComponent(after)}` : ""}`,
      );
      if (res.json.items.length) pages.push(res.json.items);
      if (!res.json.next) break;
      after = res.json.next;
    }
    const logIds = () =>
      page
        .locator("tr[data-log]")
        .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-log")));
    assert.deepEqual(
      await logIds(),
      pages[0].map((e) => e.id),
    );
    if (pages.length > 1) {
      await page.click("[data-log-newest]");
      await page.waitForFunction(
        (id) => document.querySelector(`tr[data-log="${id}"]`),
        pages.at(-1).at(-1).id,
      );
    }
    assert.deepEqual(
      await logIds(),
      pages.at(-1).map((e) => e.id),
    );
    // The log is in time order (the seeded events ran at their own, later, times): find the two
    // writes above and page to them.
    const all = pages.flat();
    const setEntry = all.findLast(
      (e) => e.request.op === "set" && e.request.node === "account:user2@example.com",
    );
    const restoreEntry = all.findLast((e) => e.request.op === "restore-capped");
    const showPageOf = async (id) => {
      const k = pages.findIndex((p) => p.some((e) => e.id === id));
      const oldest = page.getByRole("button", { name: "Oldest" });
      if (await oldest.isEnabled()) await oldest.click();
      await page.locator(`tr[data-log="${pages[0][0].id}"]`).waitFor();
      for (let i = 0; i < k; i++) {
        await page.getByRole("button", { name: "Next page" }).click();
        await page.locator(`tr[data-log="${pages[i + 1][0].id}"]`).waitFor();
      }
      assert.deepEqual(
        await logIds(),
        pages[k].map((e) => e.id),
      );
    };
    await showPageOf(setEntry.id);
    const cells = await texts(page.locator(`tr[data-log="${setEntry.id}"] td`));
    assert.equal(cells[1], "server-admin");
    assert.match(cells[2], /set activesync at account:user2@example\.com to disabled/);
    assert.match(cells[3], /settings\.activesync: inherit → disabled/);
    assert.match(cells[4], /user2@example\.com released/);
    await showPageOf(restoreEntry.id);
    const restore = page.locator(`tr[data-log="${restoreEntry.id}"]`);
    assert.match(await restore.textContent(), /restore capped accounts of activesync/);
    assert.match(await restore.textContent(), /user6@example\.com uncapped/);
    await shot(page, "log");
    await page.close();
  });

  test("licence: shows the one in force; an unsigned upload is accepted in dev mode, a signed one verified, a bad file refused with the server's error", async () => {
    await seed();
    const page = await newPage();
    await signIn(page);
    await go(page, "#/admin/licence", "Licence");
    assert.equal(
      await page.locator('[data-feature="activesync"] [data-col="seats"]').textContent(),
      "5",
    );
    assert.equal(await page.locator("[data-signature]").getAttribute("data-signature"), "unsigned");

    // Pasted, unsigned: accepted because the server runs with --dev.
    await page
      .getByLabel("Or paste the file's text")
      .fill(JSON.stringify({ mailboxes: 100, features: { activesync: { seats: 8 } } }));
    await page.getByRole("button", { name: "Upload licence" }).click();
    await page.locator('[data-upload="unsigned"]').waitFor();
    assert.match(await page.locator('[data-upload="unsigned"]').textContent(), /Accepted unsigned/);
    await page
      .locator('[data-feature="activesync"] [data-col="seats"]', { hasText: "8" })
      .waitFor();
    assert.equal((await admin.get("/v1/licence")).json.licence.features.activesync.seats, 8);

    // A file signed with the demo vendor key: verified.
    const dir = tempDir("seatcap-console-");
    const file = path.join(dir, "licence.json");
    writeFileSync(file, JSON.stringify({ mailboxes: 100, features: { activesync: { seats: 9 } } }));
    const signed = seatcap([
      "licence",
      "sign",
      "--key",
      path.join(server.data, "demo-vendor.key"),
      file,
    ]);
    assert.equal(signed.status, 0, signed.stderr);
    await page.getByLabel("Licence file").setInputFiles({
      name: "licence.signed.json",
      mimeType: "application/json",
      buffer: Buffer.from(signed.stdout),
    });
    await page.waitForFunction(() =>
      document.querySelector("textarea[name=licence]").value.includes("signature"),
    );
    await page.getByRole("button", { name: "Upload licence" }).click();
    await page.locator('[data-upload="verified"]').waitFor();
    const key = (await admin.get("/v1/licence")).json.signedBy;
    assert.match(key, /^[0-9a-f]{64}$/);
    assert.match(
      await page.locator('[data-upload="verified"]').textContent(),
      new RegExp(`verified against trusted key ${key}`),
    );
    await page.locator('[data-signature="verified"]').waitFor();
    await shot(page, "licence");

    // Tampered after signing: refused, with the server's message beside the button; nothing changes.
    const tampered = JSON.parse(signed.stdout);
    tampered.features.activesync.seats = 900;
    await page.getByLabel("Or paste the file's text").fill(JSON.stringify(tampered));
    await page.getByRole("button", { name: "Upload licence" }).click();
    await page.locator('[data-upload="refused"]').waitFor();
    const refusal = await admin.put("/v1/licence", tampered);
    assert.equal(refusal.status, 400);
    assert.ok(
      (await page.locator('[data-upload="refused"]').textContent()).includes(
        refusal.json.error.message,
      ),
      "the server's own message",
    );
    await shot(page, "licence-refused");
    // Not JSON at all: the server's answer, shown the same way.
    await page.getByLabel("Or paste the file's text").fill("this is not a licence");
    await page.getByRole("button", { name: "Upload licence" }).click();
    await page.locator('[data-upload="refused"]', { hasText: "not JSON" }).waitFor();
    const now = (await admin.get("/v1/licence")).json;
    assert.equal(now.licence.features.activesync.seats, 9);
    assert.equal(now.signature, "verified");
    await page.close();
  });

  test("a domain administrator sees only its domain, and no server-only control", async () => {
    // other.org enabled with a holder there, so there is something to hide.
    await seed([
      { op: "set", node: "domain:other.org", feature: "activesync", value: "enabled" },
      { op: "connect", account: "alice@other.org", feature: "activesync" },
      ...FULL,
    ]);
    const page = await newPage();
    await signIn(page, EXAMPLE_ADMIN);
    assert.match(
      await page.locator(".admin-bar").textContent(),
      /domain administrator of example\.com/,
    );

    // Seats: the licence's counts, but holders and capped of example.com only; no restore.
    await go(page, "#/admin/seats/activesync", "activesync seats");
    assert.equal(await page.locator('[data-stat="used"] .value').textContent(), "5");
    const holders = await texts(page.locator("[data-list=holders] tbody th"));
    assert.deepEqual(holders, [
      "user1@example.com",
      "user2@example.com",
      "user3@example.com",
      "user4@example.com",
    ]);
    assert.ok(!(await page.locator(".admin-view").textContent()).includes("other.org"));
    assert.equal(await page.locator("[data-restore]").count(), 0);
    assert.match(
      await page.locator(".restore .readonly-reason").textContent(),
      /Only a server administrator can restore/,
    );
    await shot(page, "domain-admin-seats");

    // Directory: only example.com; the server's settings are read-only.
    await go(page, "#/admin/directory", "Directory");
    assert.deepEqual(await texts(page.locator(".tree [data-domain]")), ["example.com"]);
    assert.equal(await page.locator('[data-node="server"] [data-change]').count(), 0);
    assert.match(
      await page.locator('[data-node="server"] .readonly-reason').textContent(),
      /Only a server administrator/,
    );
    assert.ok(!(await page.locator(".admin-view").textContent()).includes("other.org"));
    await shot(page, "domain-admin-directory");
    await go(page, "#/admin/directory/other.org", "other.org");
    assert.match(
      await page.locator(".admin-view .error").textContent(),
      /you administer example\.com only/,
    );

    // Licence: readable, no upload.
    await go(page, "#/admin/licence", "Licence");
    assert.equal(await page.getByLabel("Licence file").count(), 0);
    assert.match(
      await page.locator(".readonly-reason").textContent(),
      /Only a server administrator can upload/,
    );

    // Log: its own domain's entries only.
    await go(page, "#/admin/log", "Audit log");
    await page.locator("[data-list=log]").waitFor();
    assert.ok(!(await page.locator("[data-list=log]").textContent()).includes("other.org"));
    assert.ok((await page.locator("[data-list=log]").textContent()).includes("example.com"));

    // A change within its domain: no full preview (no export for a domain admin), said why; Apply still writes.
    await go(page, "#/admin/accounts/user3@example.com", "user3@example.com");
    await openEditor(page, "activesync");
    await preview(page, "disabled");
    const limited = page.locator('[data-preview="unavailable"]');
    assert.match(await limited.textContent(), /only a server administrator may export/);
    assert.match(await limited.textContent(), /Disabling it frees its seat \(rule 7\)/);
    await shot(page, "domain-admin-preview");
    assert.notEqual(
      (await admin.get("/v1/accounts/user3@example.com")).json.features.activesync.seat,
      null,
    );
    await page.click("[data-apply]");
    await page.locator(".flash.good").waitFor();
    assert.equal(
      (await admin.get("/v1/accounts/user3@example.com")).json.features.activesync.setting,
      "disabled",
    );
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test("at phone width (390 px) the views fit the screen: wide tables scroll inside, the page does not", async () => {
    await seed();
    const page = await newPage({ width: 390, height: 844 });
    await signIn(page);
    for (const [hash, heading, name] of [
      ["#/admin/seats/activesync", "activesync seats", "phone-seats"],
      ["#/admin/directory/example.com", "example.com", "phone-domain"],
      ["#/admin/log", "Audit log", "phone-log"],
    ]) {
      await go(page, hash, heading);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `${hash}: the page is ${width}px wide`);
      await shot(page, name);
    }
    await go(page, "#/admin/accounts/user1@example.com", "user1@example.com");
    await openEditor(page, "activesync");
    await preview(page, "disabled");
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 390);
    await shot(page, "phone-preview");
    // Keyboard: the editor's controls are reachable with Tab and show a focus ring.
    await page.getByLabel("New setting").focus();
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Preview change");
    const outline = await page.evaluate(
      () => getComputedStyle(document.activeElement).outlineStyle,
    );
    assert.equal(outline, "solid");
    await page.close();
  });

  test("plain words: no rule number or SPEC on the admin screens but as a link into the rules reference, and each link opens its rule", async () => {
    await seed();
    const page = await newPage();
    const seen = [];
    const look = async (screen) => {
      assert.deepEqual(await ruleSpeak(page), [], `${screen}: rule-speak outside a rules link`);
      seen.push(...(await ruleLinks(page)));
    };
    await page.goto(`${server.url}/#/admin`);
    await page.getByLabel("Administrator token").waitFor();
    await look("sign-in");
    await signIn(page);
    await go(page, "#/admin/seats", "Seats");
    await look("seats");
    await go(page, "#/admin/seats/activesync", "activesync");
    await page.locator("[data-list=capped]").waitFor();
    await look("activesync seats");
    await go(page, "#/admin/directory", "Directory");
    await look("directory");
    await go(page, "#/admin/directory/example.com", "example.com");
    await page.locator("[data-account]").first().waitFor();
    await look("domain");
    await go(page, "#/admin/directory/example.com/class/sales", "Class");
    await look("class");
    // A capped account: the engine's explanation names rules, shown as links.
    await go(page, "#/admin/accounts/user6@example.com", "user6@example.com");
    await page.getByRole("button", { name: "Explain activesync for user6@example.com" }).click();
    await page.locator(".explain").waitFor();
    assert.match(await page.locator(".explain").textContent(), /rule 6.*rule 11/);
    await look("capped account, explained");
    // A preview the server would refuse (no seat free), then the refusal itself.
    await go(page, "#/admin/accounts/alice@other.org", "alice@other.org");
    await openEditor(page, "activesync");
    await preview(page, "enabled");
    await look("refused preview");
    await page.getByRole("button", { name: "Try to apply anyway" }).click();
    await page.locator('.apply-answer [data-error="seats-exhausted"]').waitFor();
    await look("refused apply");
    // A preview that frees a seat.
    await go(page, "#/admin/accounts/user1@example.com", "user1@example.com");
    await openEditor(page, "activesync");
    await preview(page, "disabled");
    await look("preview of a disable");
    await go(page, "#/admin/log", "Audit log");
    await page.locator("[data-list=log]").waitFor();
    await look("audit log");
    await go(page, "#/admin/licence", "Licence");
    await look("licence");

    const ids = await checkRuleLinks(browser.context, seen, assert);
    for (const id of ["r1", "r4", "r5", "r6", "r7", "r10", "r11"])
      assert.ok(ids.includes(id), `a link to ${id} is on some screen (${ids.join(", ")})`);
    // The checks can fail: a bare rule number, and a link to a rule the page lacks.
    await page.evaluate(() => document.querySelector(".admin-view h1").append(" (R6)"));
    assert.equal((await ruleSpeak(page)).length, 1, "a bare R6 is caught");
    await assert.rejects(
      checkRuleLinks(browser.context, [{ href: `${server.url}/rules.html#r99` }], assert),
      /every rule anchor/,
    );
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test("served as static files (no server): says so clearly and points at the simulator", async () => {
    // dist/www as a plain static file server serves it (as `python -m http.server` there would): no /v1.
    const statics = await startStaticServer({ dir: path.join(root, "dist/www") });
    try {
      const page = await newPage();
      await page.goto(`${statics.url}/#/admin`);
      const notice = page.locator("[data-no-server]");
      await notice.waitFor();
      assert.match(await notice.textContent(), /No seatcap server here/);
      assert.match(await notice.textContent(), /\/v1\/health answered 404/);
      assert.equal(
        await notice.getByRole("link", { name: "Open the simulator" }).getAttribute("href"),
        "#/sim",
      );
      assert.equal(await page.getByLabel("Administrator token").count(), 0);
      await shot(page, "no-server");
      await page.close();
    } finally {
      await statics.close();
    }
  });
});
