// The Cloudflare Workers entry (dist/workerd.mjs) without workerd itself:
// Workers import a `.wasm` file as a compiled WebAssembly.Module (module rule
// `CompiledWasm`) and forbid compiling bytes at run time. A Node loader hook
// gives the entry exactly that import, so the same bundle runs the
// conformance suite here. (The real runtime is tested with the edge server.)
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { pathToFileURL } from "node:url";
import { conformanceCases, root } from "./helpers.mjs";

const work = mkdtempSync(path.join(tmpdir(), "seatcap-workerd-"));
after(() => rmSync(work, { recursive: true, force: true }));

const HOOKS = `
export async function load(url, context, nextLoad) {
  if (!url.endsWith(".wasm")) return nextLoad(url, context);
  return {
    format: "module",
    shortCircuit: true,
    source: \`import { readFileSync } from "node:fs";
export default new WebAssembly.Module(readFileSync(new URL(\${JSON.stringify(url)})));\`,
  };
}`;

test("dist/workerd.mjs imports the compiled wasm module and needs nothing from Node", () => {
  const text = readFileSync(path.join(root, "dist/workerd.mjs"), "utf8");
  assert.match(text, /^import \w+ from "\.\/seatcap_bg\.wasm";/m);
  assert.doesNotMatch(text, /from "node:|require\(/, "no Node built-ins in the Workers bundle");
});

test("dist/workerd.mjs runs every conformance case with a CompiledWasm import, through simulate and the Engine", () => {
  writeFileSync(path.join(work, "hooks.mjs"), HOOKS);
  writeFileSync(
    path.join(work, "register.mjs"),
    `import { register } from "node:module"; register(${JSON.stringify(pathToFileURL(path.join(work, "hooks.mjs")).href)});`,
  );
  const cases = conformanceCases();
  writeFileSync(path.join(work, "scenarios.json"), JSON.stringify(cases.map((c) => c.scenario)));
  writeFileSync(
    path.join(work, "worker.mjs"),
    `import { readFileSync } from "node:fs";
import * as seatcap from ${JSON.stringify(pathToFileURL(path.join(root, "dist/workerd.mjs")).href)};
const scenarios = JSON.parse(readFileSync(new URL("./scenarios.json", import.meta.url), "utf8"));
await seatcap.init(); // a no-op here: the module is ready on import
const engineRuns = [];
for (const scenario of scenarios) {
  const { events, ...state } = scenario;
  const engine = new seatcap.Engine(new seatcap.MemoryStore());
  await engine.importScenario(state);
  const replayed = await engine.replay(events ?? [], { start: Date.parse(seatcap.validateScenario(scenario).summary.start) });
  const exported = await engine.exportScenario();
  engineRuns.push({ events: replayed, state: seatcap.simulate(exported.scenario).outcome.state });
}
process.stdout.write(JSON.stringify({ version: seatcap.version(), results: scenarios.map((s) => seatcap.simulate(s)), engineRuns }));`,
  );
  const child = spawnSync(process.execPath, ["--no-warnings", "--import", path.join(work, "register.mjs"), path.join(work, "worker.mjs")], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(child.status, 0, child.stderr);
  const { version, results, engineRuns } = JSON.parse(child.stdout);
  assert.equal(version, "0.1.0");
  assert.equal(results.length, cases.length);
  cases.forEach((c, i) => {
    assert.equal(results[i].type, "success", c.name);
    assert.deepStrictEqual(results[i].outcome, c.outcome, c.name);
    // The Engine over a MemoryStore, in the same bundle, agrees with both.
    assert.deepStrictEqual(engineRuns[i], { events: c.outcome.events, state: c.outcome.state }, `${c.name} (Engine)`);
  });
});
