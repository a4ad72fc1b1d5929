// The conformance suite through the built npm package in Node, ESM and CJS:
// every outcome must equal the file (which native Rust also checks).
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import test from "node:test";
import * as esm from "../../dist/node.mjs";
import { conformanceCases, invalidScenarios, scenarioText } from "./helpers.mjs";

const cjs = createRequire(import.meta.url)("../../dist/node.cjs");
const cases = conformanceCases();

test("the conformance suite has a case for every rule", () => {
  assert.ok(cases.length >= 19, `${cases.length} cases`);
  const rules = new Set(cases.flatMap((c) => c.rule.match(/R\d+/g) ?? []));
  for (let r = 1; r <= 12; r++) assert.ok(rules.has(`R${r}`), `no case cites R${r}`);
});

for (const c of cases) {
  test(`${c.name} [${c.rule}]: Node ESM, object input`, () => {
    const result = esm.simulate(c.scenario);
    assert.equal(result.type, "success", JSON.stringify(result.error));
    assert.deepStrictEqual(result.outcome, c.outcome);
  });
  test(`${c.name} [${c.rule}]: Node CJS, JSON text input`, () => {
    const result = cjs.simulate(JSON.stringify(c.scenario));
    assert.equal(result.type, "success");
    assert.deepStrictEqual(result.outcome, c.outcome);
  });
}

test("invalid scenarios are refused as a whole, with the same one-line error as native Rust", () => {
  const cases = invalidScenarios();
  assert.ok(cases.length >= 30);
  for (const c of cases) {
    for (const api of [esm, cjs]) {
      const result = api.simulate(scenarioText(c.scenario));
      assert.deepStrictEqual(result, {
        type: "failure",
        error: { code: "invalid-input", message: c.error },
      });
      assert.deepStrictEqual(api.validateScenario(scenarioText(c.scenario)), result);
    }
  }
});

test("validateScenario summarises a valid scenario without running it", () => {
  const axigen = cases.find((c) => c.name.startsWith("04-"));
  assert.deepStrictEqual(esm.validateScenario(axigen.scenario), {
    type: "success",
    summary: {
      domains: 1,
      classes: 0,
      accounts: 500,
      features: ["activesync"],
      events: axigen.scenario.events.length,
      start: "2026-01-01T00:00:00Z",
    },
  });
});

test("explain names the chain and the rule behind a decision", () => {
  const axigen = cases.find((c) => c.name.startsWith("04-")).scenario;
  const holder = esm.simulate(axigen).outcome.state.seats.activesync.holders[0];
  const held = esm.explain(axigen, holder, "activesync");
  assert.equal(held.type, "success");
  assert.equal(held.explanation.rule, "R3");
  assert.deepStrictEqual(held.explanation.decision, {
    allowed: true,
    reason: "seat-held",
    source: "domain:example.com",
  });
  assert.deepStrictEqual(
    held.explanation.chain.map((l) => l.node),
    [`account:${holder}`, "domain:example.com"],
  );
  assert.equal(held.explanation.seat.via, "connect");

  const outcome = esm.simulate(axigen).outcome;
  const capped = Object.keys(outcome.state.accounts).find(
    (id) => outcome.state.accounts[id].activesync.capped,
  );
  const e = esm.explain(axigen, capped, "activesync").explanation;
  assert.equal(e.rule, "R5");
  assert.equal(e.decision.reason, "capped");
  assert.equal(e.chain[0].setting, "disabled");
  assert.match(e.chain[0].capped, /^2026-/);

  assert.deepStrictEqual(esm.explain(axigen, "no-at-sign", "activesync").type, "failure");
  assert.equal(
    esm.explain(axigen, "ghost@example.com", "activesync").explanation.decision.reason,
    "unknown-account",
  );
});

test("progress is reported up to the total, in order", () => {
  const axigen = cases.find((c) => c.name.startsWith("04-")).scenario;
  const seen = [];
  esm.simulate(axigen, { onProgress: (done, total) => seen.push([done, total]) });
  const total = axigen.events.length;
  assert.ok(seen.length >= 50 && seen.length <= 120, `${seen.length} reports`);
  assert.deepStrictEqual(seen.at(-1), [total, total]);
  assert.ok(seen.every(([d], i) => i === 0 || d > seen[i - 1][0]));
});

test("version matches the package", async () => {
  const { readFile } = await import("node:fs/promises");
  const pkg = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8"));
  assert.equal(esm.version(), pkg.version);
});
