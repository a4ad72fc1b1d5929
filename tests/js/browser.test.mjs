// The same conformance suite in headless Chromium (Debian's, driven by
// playwright-core), through dist/web.mjs as a browser loads it from 127.0.0.1.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  conformanceCases,
  invalidScenarios,
  launchChromium,
  scenarioText,
  startStaticServer,
} from "./helpers.mjs";

let server;
let browser;
let page;

before(async () => {
  server = await startStaticServer();
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.goto(`${server.url}/`);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test("calls before init() fail loudly, then init() loads the module once", async () => {
  const answer = await page.evaluate(async () => {
    const m = await import("/dist/web.mjs");
    let early;
    try {
      m.simulate("{}");
    } catch (e) {
      early = String(e.message);
    }
    await Promise.all([m.init(), m.init()]);
    return { early, version: m.version() };
  });
  assert.match(answer.early, /await init\(\)/);
  assert.equal(answer.version, "0.1.0");
});

test("every conformance case gives the same outcome in Chromium as in the file", async () => {
  const cases = conformanceCases();
  const results = await page.evaluate(
    async (scenarios) => {
      const m = await import("/dist/web.mjs");
      await m.init();
      return scenarios.map((s) => m.simulate(s));
    },
    cases.map((c) => c.scenario),
  );
  assert.equal(results.length, cases.length);
  cases.forEach((c, i) => {
    assert.equal(results[i].type, "success", c.name);
    assert.deepStrictEqual(results[i].outcome, c.outcome, c.name);
  });
});

test("invalid scenarios give the same one-line errors in Chromium", async () => {
  const cases = invalidScenarios();
  const results = await page.evaluate(
    async (texts) => {
      const m = await import("/dist/web.mjs");
      await m.init();
      return texts.map((t) => m.simulate(t));
    },
    cases.map((c) => scenarioText(c.scenario)),
  );
  for (const [i, c] of cases.entries())
    assert.deepStrictEqual(results[i], {
      type: "failure",
      error: { code: "invalid-input", message: c.error },
    });
});

test("the Engine over a MemoryStore replays every conformance case in Chromium as simulate does (SPEC Storage callbacks)", async () => {
  const cases = conformanceCases();
  const results = await page.evaluate(
    async (scenarios) => {
      const m = await import("/dist/web.mjs");
      await m.init();
      const out = [];
      for (const scenario of scenarios) {
        const { events, ...state } = scenario;
        const engine = new m.Engine(new m.MemoryStore());
        await engine.importScenario(state);
        const start = Date.parse(m.validateScenario(scenario).summary.start);
        const replayed = await engine.replay(events ?? [], { start });
        const exported = await engine.exportScenario();
        out.push({ events: replayed, state: m.simulate(exported.scenario).outcome.state });
      }
      return out;
    },
    cases.map((c) => c.scenario),
  );
  for (const [i, c] of cases.entries())
    assert.deepStrictEqual(
      results[i],
      { events: c.outcome.events, state: c.outcome.state },
      c.name,
    );
});
