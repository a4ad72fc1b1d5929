// The console's what-if simulator, end to end in Chromium against the built
// console (dist/www) on 127.0.0.1: forms → worker → results, read off the
// screen as an administrator would. Screenshots of each view go to
// .artifacts/console/sim-*.png.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import {
  checkRuleLinks,
  launchChromium,
  openConsole,
  ruleLinks,
  ruleSpeak,
  screenshot,
  startConsoleServer,
} from "./console-helpers.mjs";

let server;
let browser;
const m = await import("../../dist/node.mjs");

before(async () => {
  server = await startConsoleServer();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** The simulator at `hash` (default `#/sim`), with its page errors collected. */
async function open(hash = "#/sim", viewport) {
  const opened = await openConsole(browser.context, server.consoleUrl, hash, viewport);
  await opened.page.waitForSelector('[data-action="run"]');
  return opened;
}

/** The number in a stat card (`200`, `1,000` → 1000). */
async function stat(page, name) {
  const text = await page.textContent(`[data-stat="${name}"] .value`);
  return Number(text.replace(/,/g, ""));
}

/** Clicks a button that starts a job and waits for the job to end; returns how it ended (done, failed, cancelled). */
async function job(page, selector, timeout = 60_000) {
  await page.click(selector);
  await page.waitForFunction(
    () => document.querySelector(".sim-runner")?.dataset.state !== "running",
    null,
    { timeout },
  );
  return page.getAttribute(".sim-runner", "data-state");
}

async function runSimulation(page) {
  assert.equal(
    await job(page, '[data-action="run"]'),
    "done",
    await page.textContent(".sim-runner"),
  );
  await page.waitForSelector('[data-results="run"]');
}

/** Sets a text control and fires its input event, as typing does. */
async function fill(page, selector, value) {
  await page.fill(selector, value);
}

const tab = (page, id) => page.click(`[role="tab"][data-tab="${id}"]`);

test("the Axigen example: 500 accounts, 200 ActiveSync seats, everyone connects once → 200 holders, 300 capped (R4, R5)", async () => {
  const { page, errors } = await open();
  await page.click('[data-action="preset-axigen"]');
  await screenshot(page, "sim-scenario");
  await tab(page, "timeline");
  await screenshot(page, "sim-timeline");
  await runSimulation(page);
  assert.equal(
    await page.getAttribute('[role="tab"][data-tab="results"]', "aria-selected"),
    "true",
    "the results are shown after a run",
  );
  assert.equal(await stat(page, "holders"), 200);
  assert.equal(await stat(page, "capped"), 300);
  assert.equal(await stat(page, "waitlisted"), 0);
  assert.equal(await stat(page, "accounts"), 500);
  assert.equal(await stat(page, "connects"), 500);
  // The lists hold every account (virtual: only the rows in view are drawn).
  assert.equal(await page.getAttribute('[data-list="holders"] .vlist', "data-count"), "200");
  assert.equal(await page.getAttribute('[data-list="capped"] .vlist', "data-count"), "300");
  assert.ok(
    (await page.locator('[data-list="holders"] .vlist-row').count()) < 40,
    "only the visible rows are in the page",
  );
  // The connect reasons in words, each with a link to its rule.
  assert.match(
    await page.textContent('[data-reason="capped"]'),
    /no seat was free, so the cap disabled it\s*rule 5\s*300/,
  );
  assert.match(
    await page.textContent('[data-reason="seat-claimed"]'),
    /it took a free seat\s*rule 4\s*200/,
  );
  assert.equal(await page.getAttribute('[data-reason="capped"] a', "href"), "rules.html#r5");
  // The chart was drawn.
  assert.equal(await page.locator(".sim .chart canvas").count(), 1);
  await screenshot(page, "sim-results");

  // Search narrows the capped list; Explain on a row shows the chain and the rule (R5).
  await page.click('[role="tab"][data-tab="capped"]');
  await fill(page, '[data-list="capped"] input[type="search"]', "user4");
  await page.waitForFunction(() =>
    document
      .querySelector('[data-list="capped"] .sim-list-count')
      ?.textContent?.includes("matching"),
  );
  const shown = Number(
    await page.getAttribute('[data-list="capped"] .sim-list-count', "data-shown"),
  );
  assert.ok(shown > 0 && shown < 300, `search shows a part of the capped list (${shown})`);
  const capped = (await page.textContent('[data-list="capped"] .vlist-row .sim-id')).trim();
  assert.match(capped, /^user\d*4\d*@example\.com$/);
  assert.equal(
    await job(page, `[data-list="capped"] .vlist-row button[aria-label="Explain ${capped}"]`),
    "done",
  );
  await page.waitForSelector(`[data-explained="${capped}"]`);
  assert.equal(await page.textContent("[data-rule]"), "Why? rule 5");
  assert.equal(await page.getAttribute("[data-rule] a", "href"), "rules.html#r5");
  assert.equal(await page.getAttribute("[data-decision]", "data-decision"), "capped");
  assert.match(
    await page.textContent(".sim-chain"),
    new RegExp(`account ${capped.replace(/\./g, "\\.")}\\s*disabled`),
  );
  await screenshot(page, "sim-explain");

  // A holder: its seat is held (R3); an account that inherits shows the whole chain up to the domain (R1).
  await page.click('[role="tab"][data-tab="holders"]');
  const holder = (await page.textContent('[data-list="holders"] .vlist-row .sim-id')).trim();
  assert.equal(
    await job(page, `[data-list="holders"] .vlist-row button[aria-label="Explain ${holder}"]`),
    "done",
  );
  await page.waitForSelector(`[data-explained="${holder}"]`);
  assert.equal(await page.textContent("[data-rule]"), "Why? rule 3");
  assert.equal(await page.getAttribute("[data-decision]", "data-decision"), "seat-held");
  const chain = await page.locator(".sim-chain tbody tr").allTextContents();
  assert.equal(chain.length, 2);
  assert.match(chain[0], /inherit/);
  assert.match(chain[1], /domain example\.com\s*enabled\s*Decides/);
  assert.deepEqual(errors, []);
  await page.close();
});

test("plain words: the simulator shows no rule number or SPEC but as a link into the rules reference, and each link opens its rule", async () => {
  const { page, errors } = await open();
  const seen = [];
  const look = async (screen) => {
    assert.deepEqual(await ruleSpeak(page), [], `${screen}: rule-speak outside a rules link`);
    seen.push(...(await ruleLinks(page)));
  };
  await page.click('[data-action="preset-axigen"]');
  await look("scenario forms");
  for (const id of ["timeline", "sizing", "compare"]) {
    await tab(page, id);
    await look(`${id} tab`);
  }
  await tab(page, "scenario");
  await runSimulation(page);
  await look("results");
  await page.click('[role="tab"][data-tab="capped"]');
  const capped = (await page.textContent('[data-list="capped"] .vlist-row .sim-id')).trim();
  assert.equal(
    await job(page, `[data-list="capped"] .vlist-row button[aria-label="Explain ${capped}"]`),
    "done",
  );
  await page.waitForSelector(`[data-explained="${capped}"]`);
  // The engine's own explanation names rules (R6, R11): the console shows them as links.
  assert.match(await page.textContent("[data-why]"), /rule 6.*rule 11/);
  await look("explanation of a capped account");

  const ids = await checkRuleLinks(browser.context, seen, assert);
  for (const id of ["r1", "r4", "r5", "r6", "r10", "r11", "r12"])
    assert.ok(ids.includes(id), `a link to ${id} is on some screen (${ids.join(", ")})`);
  assert.equal(
    (await fetch(new URL("rules.html", page.url()))).status,
    200,
    "the header's Rules link resolves",
  );

  // The checks can fail: a bare rule number, and a link to a rule the page lacks.
  await page.evaluate(() => document.querySelector("h1").append(" (R5)"));
  assert.equal((await ruleSpeak(page)).length, 1, "a bare R5 is caught");
  await assert.rejects(
    checkRuleLinks(browser.context, [{ href: new URL("rules.html#r99", page.url()).href }], assert),
    /every rule anchor/,
  );
  assert.deepEqual(errors, []);
  await page.close();
});

test("a CSV log with bad lines: each bad line is reported with its line number, the good lines become the timeline (R4, R5)", async () => {
  const { page, errors } = await open();
  await page.click('[data-action="preset-axigen"]');
  await fill(page, ".sim-feature input.sim-num", "2");
  await tab(page, "timeline");
  await page.check('input[name="sim-timeline-kind"][value="csv"]');
  const csv = [
    "account,timestamp", //                         1: header
    "user1@example.com,2026-01-05T09:00:00Z", //    2
    "user2@example.com,not-a-time", //              3: bad time
    "user3@example.com,2026-01-05 09:02:00", //     4: space and no zone = UTC
    "", //                                          5: blank, skipped
    "nobody,2026-01-05T09:03:00Z", //               6: bad account
    "user4@example.com,2026-01-05T09:04:00+01:00", // 7: 08:04 UTC, earlier than line 4
    "user5@example.com,2026-01-05T09:05:00Z,extra", // 8: three fields
  ].join("\n");
  await page.setInputFiles('input[type="file"][accept^=".csv"]', {
    name: "connections.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(csv),
  });
  await page.waitForSelector('#sim-panel-timeline [data-csv="bad"]');
  const bad = await page.$$eval('#sim-panel-timeline [data-csv="bad"] tbody tr', (rows) =>
    rows.map((r) => ({ line: Number(r.dataset.line), text: r.textContent })),
  );
  assert.deepEqual(
    bad.map((b) => b.line),
    [3, 6, 8],
  );
  assert.match(bad[0].text, /not-a-time.*not an ISO-8601 time/);
  assert.match(bad[1].text, /nobody.*not an account id/);
  assert.match(bad[2].text, /expected 2 fields/);
  assert.match(
    await page.textContent('#sim-panel-timeline [data-csv="summary"]'),
    /connections\.csv: 3 connects from 3 accounts, 2026-01-05 08:04 UTC to 2026-01-05 09:02 UTC\. The header line was skipped\./,
  );
  await screenshot(page, "sim-timeline-csv");

  await runSimulation(page);
  assert.equal(await stat(page, "connects"), 3);
  assert.equal(await stat(page, "holders"), 2);
  assert.equal(await stat(page, "capped"), 1);
  // Replayed in time order: user4 (08:04 UTC) and user1 (09:00) claim, user3 (09:02) is capped.
  const holders = await page.$$eval('[data-list="holders"] .vlist-row .sim-id', (els) =>
    els.map((e) => e.textContent),
  );
  assert.deepEqual(holders, ["user4@example.com", "user1@example.com"]);
  // The run repeats the report, so the bad lines are visible next to the numbers too.
  assert.equal(await page.locator('[data-results="run"] [data-csv="bad"] tbody tr').count(), 3);

  // Pasted lines go through the same reader.
  await tab(page, "timeline");
  await fill(
    page,
    'textarea[placeholder^="account,timestamp"]',
    "user9@example.com;2026-02-30T10:00:00Z\nuser9@example.com;2026-02-03T10:00:00Z",
  );
  await page.click('[data-action="use-csv"]');
  await page.waitForFunction(() =>
    document
      .querySelector('#sim-panel-timeline [data-csv="summary"]')
      ?.textContent?.startsWith("pasted lines"),
  );
  assert.deepEqual(
    await page.$$eval('#sim-panel-timeline [data-csv="bad"] tbody tr', (rows) =>
      rows.map((r) => Number(r.dataset.line)),
    ),
    [1],
  );
  assert.deepEqual(errors, []);
  await page.close();
});

test("the sizing curve replays the timeline per seat count: with seats ≥ accounts nobody is capped (R4, R5)", async () => {
  const { page, errors } = await open();
  await page.click('[data-action="preset-axigen"]');
  await tab(page, "sizing");
  assert.equal(await job(page, '[data-action="sizing"]'), "done");
  await page.waitForSelector(".sim-sizing-table");
  const rows = await page.$$eval(".sim-sizing-table tbody tr", (trs) =>
    trs.map((tr) => ({
      seats: Number(tr.dataset.seats),
      capped: Number(tr.querySelector('[data-col="capped"]').textContent.replace(/,/g, "")),
      holders: Number(tr.querySelector('[data-col="holders"]').textContent.replace(/,/g, "")),
    })),
  );
  assert.deepEqual(
    rows.map((r) => r.seats),
    [0, 50, 100, 150, 200, 250, 300, 350, 400, 450, 500],
  );
  for (const r of rows) {
    // Everyone connects once: the first `seats` claim (R4), every other one is capped (R5).
    assert.equal(r.holders, Math.min(r.seats, 500), `holders at ${r.seats} seats`);
    assert.equal(r.capped, 500 - Math.min(r.seats, 500), `capped at ${r.seats} seats`);
  }
  assert.match(
    await page.textContent('[data-results="sizing"]'),
    /From 500 seats on, nobody is capped or waiting\./,
  );
  assert.equal(await page.locator('[data-results="sizing"] canvas').count(), 1);
  await screenshot(page, "sim-sizing");

  // A range the forms refuse is reported at the sizing form, and nothing runs.
  await fill(page, "#sim-panel-sizing .row input >> nth=1", "-5");
  await page.click('[data-action="sizing"]');
  await page.waitForSelector('[data-problems="sizing"] .error');
  assert.match(
    await page.textContent('[data-problems="sizing"]'),
    /To: `-5` is not a whole number/,
  );
  assert.deepEqual(errors, []);
  await page.close();
});

test("compare two licences on the same timeline: 200 vs 300 seats → 100 accounts differ, capped in A and holders in B (R4, R5)", async () => {
  const { page, errors } = await open();
  await page.click('[data-action="preset-axigen"]');
  await tab(page, "compare");
  await fill(page, "#sim-panel-compare fieldset input.sim-num >> nth=0", "300");
  assert.equal(await job(page, '[data-action="compare"]'), "done");
  await page.waitForSelector(".sim-compare-table");
  const metric = async (key, side) =>
    Number(
      (await page.textContent(`[data-metric="${key}"] [data-side="${side}"]`)).replace(/,/g, ""),
    );
  assert.equal(await metric("holders", "a"), 200);
  assert.equal(await metric("holders", "b"), 300);
  assert.equal(await metric("capped", "a"), 300);
  assert.equal(await metric("capped", "b"), 200);
  assert.equal(
    await page.getAttribute('[data-list="differ"] .sim-list-count', "data-total"),
    "100",
  );
  assert.deepEqual(await page.locator("[data-transitions] li").allTextContents(), [
    "capped in A → holder in B: 100",
  ]);
  const first = await page.textContent('[data-list="differ"] .vlist-row');
  assert.match(first, /A: capped\s*B: holder/);
  await screenshot(page, "sim-compare");

  // A policy difference: waitlist instead of disable on the same 200 seats → the 300 capped wait instead (R12).
  await fill(page, "#sim-panel-compare fieldset input.sim-num >> nth=0", "200");
  await page.selectOption("#sim-panel-compare select >> nth=1", "waitlist");
  assert.equal(await job(page, '[data-action="compare"]'), "done");
  await page.waitForFunction(
    () => document.querySelector('[data-list="differ"] .sim-list-count')?.dataset.total === "300",
  );
  assert.equal(await metric("waitlisted", "b"), 300);
  assert.deepEqual(await page.locator("[data-transitions] li").allTextContents(), [
    "capped in A → waitlisted in B: 300",
  ]);
  assert.deepEqual(errors, []);
  await page.close();
});

test("URL round trip: a scenario built in the forms is in the link; a fresh page opened on it restores the forms and gives the same numbers", async () => {
  const { page, errors } = await open();
  // Built from the default forms: 150 seats, 400 accounts of whom 380 connect, twice each, seed 7.
  await fill(page, ".sim-feature input.sim-num", "150");
  await fill(page, ".sim-generate input.sim-num", "400");
  await tab(page, "timeline");
  await fill(page, "#sim-panel-timeline input.sim-num >> nth=0", "380");
  await fill(page, "#sim-panel-timeline input.sim-num >> nth=1", "2");
  await fill(page, "#sim-panel-timeline input.sim-num >> nth=3", "7");
  await runSimulation(page);
  const numbers = {
    holders: await stat(page, "holders"),
    capped: await stat(page, "capped"),
    connects: await stat(page, "connects"),
  };
  assert.deepEqual(numbers, { holders: 150, capped: 230, connects: 760 });
  const holders = await page.$$eval('[data-list="holders"] .vlist-row .sim-id', (els) =>
    els.map((e) => e.textContent),
  );
  await page.waitForFunction(() => location.hash.startsWith("#/sim/results?s="));
  const link = page.url();
  await page.close();

  const fresh = await open(link.slice(link.indexOf("#")));
  assert.equal(
    await fresh.page.getAttribute('[role="tab"][data-tab="results"]', "aria-selected"),
    "true",
    "the link opens the tab it was taken on",
  );
  await tab(fresh.page, "scenario");
  assert.equal(await fresh.page.inputValue(".sim-feature input.sim-num"), "150");
  assert.equal(await fresh.page.inputValue(".sim-generate input.sim-num"), "400");
  await tab(fresh.page, "timeline");
  assert.equal(await fresh.page.inputValue("#sim-panel-timeline input.sim-num >> nth=3"), "7");
  await runSimulation(fresh.page);
  assert.deepEqual(
    {
      holders: await stat(fresh.page, "holders"),
      capped: await stat(fresh.page, "capped"),
      connects: await stat(fresh.page, "connects"),
    },
    numbers,
  );
  assert.deepEqual(
    await fresh.page.$$eval('[data-list="holders"] .vlist-row .sim-id', (els) =>
      els.map((e) => e.textContent),
    ),
    holders,
    "same seed, same claim order",
  );
  assert.deepEqual([...errors, ...fresh.errors], []);
  await fresh.page.close();

  // A damaged link says so where the page starts, and the simulator still works.
  const broken = await open(
    `#/sim?s=${link.slice(link.indexOf("s=") + 2, link.indexOf("s=") + 40)}`,
  );
  assert.match(
    await broken.page.textContent('[data-slot="link"] .error'),
    /damaged and can't be read/,
  );
  await runSimulation(broken.page);
  assert.equal(await stat(broken.page, "holders"), 10);
  const foreign = await open("#/sim?s=not*base64");
  assert.match(await foreign.page.textContent('[data-slot="link"] .error'), /damaged/);
  await broken.page.close();
  await foreign.page.close();
});

test("cancel a 300,000-account run: the page stays responsive, and the next run works", async () => {
  const { page, errors } = await open();
  await page.click('[data-action="preset-axigen"]');
  await fill(page, ".sim-generate input.sim-num", "300000");
  await fill(page, ".sim-feature input.sim-num", "100000");
  await tab(page, "timeline");
  await fill(page, "#sim-panel-timeline input.sim-num >> nth=0", "300000");
  await page.click('[data-action="run"]');
  await page.waitForFunction(
    () =>
      /simulating 300,000 events/.test(document.querySelector(".sim-runner")?.textContent ?? ""),
    null,
    { timeout: 30_000 },
  );
  // While the worker runs, the page answers at once.
  const began = Date.now();
  await page.click('[role="tab"][data-tab="scenario"]');
  assert.equal(
    await page.getAttribute('[role="tab"][data-tab="scenario"]', "aria-selected"),
    "true",
  );
  assert.ok(
    Date.now() - began < 1000,
    `the page answered in ${Date.now() - began} ms during the run`,
  );
  assert.equal(await page.getAttribute(".sim-runner", "data-state"), "running");
  assert.equal(await page.isDisabled('[data-action="run"]'), true, "one job at a time");
  await screenshot(page, "sim-running");
  await page.click('[data-action="cancel"]');
  await page.waitForFunction(
    () => document.querySelector(".sim-runner")?.dataset.state === "cancelled",
  );
  assert.match(await page.textContent(".sim-runner"), /cancelled/);
  assert.equal(await page.isDisabled('[data-action="run"]'), false);
  assert.equal(
    await page.locator('[data-results="run"]').count(),
    0,
    "a cancelled run leaves no results",
  );

  // The next run starts a fresh worker and works.
  await fill(page, ".sim-generate input.sim-num", "500");
  await fill(page, ".sim-feature input.sim-num", "200");
  await tab(page, "timeline");
  await fill(page, "#sim-panel-timeline input.sim-num >> nth=0", "500");
  await runSimulation(page);
  assert.equal(await stat(page, "holders"), 200);
  assert.equal(await stat(page, "capped"), 300);
  assert.deepEqual(errors, []);
  await page.close();
});

test("scenario files: bad JSON and refused scenarios are reported where they happen; a loaded file runs as the package runs it; export gives it back", async () => {
  const { page, errors } = await open();
  // Not JSON: the error names the line and column.
  await fill(
    page,
    'textarea[placeholder^="{"]',
    '{\n  "licence": {"features": {}},\n  "directory": }',
  );
  await page.click('[data-action="load-pasted"]');
  await page.waitForSelector(".sim-file-status .error");
  assert.match(
    await page.textContent(".sim-file-status .error"),
    /not valid JSON: Unexpected token '\}'.* \(at line 3, column 16\)$/,
  );

  // Refused by the engine: the message is at the section it concerns (the accounts, with the line) and at the file.
  const refused = {
    licence: { mailboxes: 10, features: { activesync: { seats: 1 } } },
    directory: {
      server: { activesync: "disabled" },
      domains: { "d.com": { settings: { activesync: "enabled" } } },
      accounts: [{ id: "a@d.com" }, { id: "b@nowhere.org" }],
    },
  };
  await fill(page, 'textarea[placeholder^="{"]', JSON.stringify(refused));
  await page.click('[data-action="load-pasted"]');
  await page.waitForSelector('[data-problems="accounts"] .error');
  assert.equal(
    await page.textContent('[data-problems="accounts"] .error'),
    "Line 2: directory.accounts[1].id: domain `nowhere.org` is not in directory.domains",
  );
  assert.match(await page.textContent('[data-problems="file"]'), /refused The pasted text/);
  assert.equal(
    await page.inputValue('.sim textarea[aria-describedby="sim-accounts-hint"]'),
    "a@d.com\nb@nowhere.org",
  );
  // Running it anyway: the engine's refusal comes back from the worker to the same place, and nothing runs.
  assert.equal(await job(page, '[data-action="run"]'), "refused");
  assert.match(await page.textContent(".sim-runner"), /The engine refused the scenario/);
  assert.match(
    await page.textContent('[data-slot="run"]'),
    /Nothing was run: 1 problem to fix first\. Line 2: directory\.accounts\[1\]\.id: domain `nowhere\.org`/,
  );
  assert.equal(
    await page.textContent('[data-problems="accounts"] .error'),
    "Line 2: directory.accounts[1].id: domain `nowhere.org` is not in directory.domains",
  );
  assert.equal(await page.locator('[data-results="run"]').count(), 0);
  // The forms' own checks are live: a bad count is named at its block before anything runs.
  await fill(page, ".sim-feature input.sim-num", "one");
  await page.waitForSelector('[data-problems="licence"] .error');
  assert.match(
    await page.textContent('[data-problems="licence"]'),
    /Seats of activesync: `one` is not a whole number/,
  );
  await page.click('[data-action="run"]');
  assert.match(
    await page.textContent('[data-slot="run"]'),
    /Nothing was run: 1 problem to fix first/,
  );
  assert.equal(
    await page.getAttribute(".sim-runner", "data-state"),
    "refused",
    "no job started since the last one",
  );
  assert.match(await page.textContent('[data-slot="run"]'), /Seats of activesync: `one`/);

  // A file with its own events (R4, R5, R7): the forms take it, the timeline steps aside, the run matches the package's simulate.
  const scenario = {
    licence: { mailboxes: 20, features: { activesync: { seats: 2 } } },
    policy: { overflow: "disable" },
    directory: {
      server: { activesync: "disabled" },
      domains: {
        "d.com": {
          settings: { activesync: "enabled" },
          classes: { sales: { settings: { activesync: "disabled" } } },
        },
      },
      accounts: [
        { id: "boss@d.com", class: "sales", settings: { activesync: "enabled" } },
        { id: "temp@d.com", type: "basic" },
      ],
      generate: [{ domain: "d.com", count: 5, prefix: "u" }],
    },
    events: [
      { op: "connect", account: "u1@d.com", feature: "activesync", at: "2026-03-01T08:00:00Z" },
      { op: "connect", account: "temp@d.com", feature: "activesync" },
      { op: "connect", account: "u2@d.com", feature: "activesync" },
      { op: "connect", account: "u3@d.com", feature: "activesync" },
      { op: "set", node: "account:u1@d.com", feature: "activesync", value: "disabled" },
      { op: "connect", account: "u4@d.com", feature: "activesync" },
    ],
  };
  const expected = m.simulate(JSON.stringify(scenario));
  await page.setInputFiles('input[type="file"][accept^=".json"]', {
    name: "day.json",
    mimeType: "application/json",
    buffer: Buffer.from(JSON.stringify(scenario)),
  });
  await page.waitForFunction(() =>
    document.querySelector(".sim-file-status")?.textContent?.startsWith("Loaded day.json"),
  );
  assert.match(
    await page.textContent(".sim-file-status"),
    /1 domain, 7 accounts, 6 events \(the timeline was set to none/,
  );
  assert.equal(
    await page.locator("[data-problems] .error").count(),
    0,
    "the earlier problems are gone",
  );
  assert.match(await page.textContent("#sim-h-loaded + div"), /6 events \(connect: 5, set: 1\)/);
  await runSimulation(page);
  const state = expected.outcome.state.seats.activesync;
  assert.equal(await stat(page, "holders"), state.holders.length);
  assert.deepEqual(
    await page.$$eval('[data-list="holders"] .vlist-row .sim-id', (els) =>
      els.map((e) => e.textContent),
    ),
    state.holders,
  );
  assert.equal(
    await stat(page, "capped"),
    Object.values(expected.outcome.state.accounts).filter((a) => a.activesync.capped).length,
  );
  assert.match(
    await page.textContent('[data-reason="not-premium"]'),
    /it is a basic account: the feature needs a premium one\s*rule 2\s*1/,
  );

  // Export: the scenario as it runs, forms and events, which the package runs to the same outcome.
  await tab(page, "scenario");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click('[data-action="download"]'),
  ]);
  const exported = JSON.parse(readFileSync(await download.path(), "utf8"));
  assert.equal(download.suggestedFilename(), "seatcap-scenario.json");
  assert.deepEqual(m.simulate(JSON.stringify(exported)).outcome, expected.outcome);
  assert.deepEqual(
    exported.directory.accounts,
    scenario.directory.accounts.map((a) => ({ ...a })),
  );

  // Copy puts the same text on the clipboard.
  await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], {
    origin: server.url,
  });
  assert.equal(await job(page, '[data-action="copy"]'), "done");
  await page.waitForFunction(() =>
    document.querySelector(".sim-file-status")?.textContent?.startsWith("Copied"),
  );
  assert.deepEqual(JSON.parse(await page.evaluate(() => navigator.clipboard.readText())), exported);

  // A file dropped on the drop zone loads like a chosen one.
  const dropped = {
    ...scenario,
    licence: { mailboxes: 20, features: { activesync: { seats: 4 } } },
  };
  await page.evaluate((text) => {
    const data = new DataTransfer();
    data.items.add(new File([text], "dropped.json", { type: "application/json" }));
    document
      .querySelector('[data-drop="scenario"]')
      .dispatchEvent(
        new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }),
      );
  }, JSON.stringify(dropped));
  await page.waitForFunction(() =>
    document.querySelector(".sim-file-status")?.textContent?.startsWith("Loaded dropped.json"),
  );
  assert.equal(await page.inputValue(".sim-feature input.sim-num"), "4");
  assert.deepEqual(errors, []);
  await page.close();
});

test("the Axigen example exported with its generated timeline is a SPEC scenario the package runs to 200 holders and 300 capped (R4, R5)", async () => {
  const { page, errors } = await open();
  await page.click('[data-action="preset-axigen"]');
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click('[data-action="download"]'),
  ]);
  const exported = JSON.parse(readFileSync(await download.path(), "utf8"));
  assert.equal(exported.events.length, 500);
  assert.ok(
    exported.events.every(
      (e) =>
        e.op === "connect" &&
        e.feature === "activesync" &&
        /^2026-01-0[5-9]T\d\d:\d\d:\d\dZ$/.test(e.at),
    ),
  );
  assert.equal(
    new Set(exported.events.map((e) => e.account)).size,
    500,
    "every account connects once",
  );
  const outcome = m.simulate(JSON.stringify(exported)).outcome;
  assert.equal(outcome.state.seats.activesync.holders.length, 200);
  assert.equal(
    Object.values(outcome.state.accounts).filter((a) => a.activesync.capped).length,
    300,
  );
  assert.deepEqual(errors, []);
  await page.close();
});

test("keyboard and phone: tabs follow the arrow keys (role=tab, aria-selected), and the views fit a 390px screen", async () => {
  const { page, errors } = await open("#/sim", { width: 390, height: 844 });
  await page.focus('[role="tab"][data-tab="scenario"]');
  await page.keyboard.press("ArrowRight");
  assert.equal(
    await page.getAttribute('[role="tab"][data-tab="timeline"]', "aria-selected"),
    "true",
  );
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.tab), "timeline");
  assert.equal(await page.isVisible("#sim-panel-timeline"), true);
  assert.equal(await page.isVisible("#sim-panel-scenario"), false);
  await page.keyboard.press("End");
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.tab), "compare");
  await page.keyboard.press("ArrowRight");
  assert.equal(
    await page.evaluate(() => document.activeElement?.dataset.tab),
    "scenario",
    "arrows wrap around",
  );
  // Only the selected tab is a tab stop.
  assert.deepEqual(
    await page.$$eval('[role="tab"][data-tab]', (tabs) =>
      tabs.filter((t) => t.closest(".sim > .tabs")).map((t) => t.tabIndex),
    ),
    [0, -1, -1, -1, -1],
  );
  // Every control in the simulator has a name.
  const unnamed = await page.$$eval(".sim input, .sim select, .sim textarea", (els) =>
    els
      .filter((e) => !e.closest("label") && !e.getAttribute("aria-label") && !e.labels?.length)
      .map((e) => e.outerHTML),
  );
  assert.deepEqual(unnamed, []);

  const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  await page.click('[data-action="preset-axigen"]');
  assert.ok(await fits(), "the scenario forms fit 390px");
  await screenshot(page, "sim-phone-scenario");
  await runSimulation(page);
  assert.ok(await fits(), "the results fit 390px");
  await screenshot(page, "sim-phone-results");
  await tab(page, "timeline");
  assert.ok(await fits(), "the timeline fits 390px");
  await screenshot(page, "sim-phone-timeline");
  assert.deepEqual(errors, []);
  await page.close();
});
