// The package's Cloudflare Workers entry (dist/workerd.mjs) in a real workerd
// (the npm miniflare package): Workers import a `.wasm` file as a compiled
// WebAssembly.Module (module rule `CompiledWasm`) and forbid compiling bytes
// at run time, so this is the only way the entry can load. Every conformance
// case must give the outcome `simulate` gives in Node. (The Worker built on
// it, with its Durable Object, is tests/js/cloudflare.test.mjs.)
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { Miniflare } from "miniflare";
import { conformanceCases, root } from "./helpers.mjs";

test("dist/workerd.mjs imports the compiled wasm module and needs nothing from Node", () => {
  const text = readFileSync(path.join(root, "dist/workerd.mjs"), "utf8");
  assert.match(text, /^import \w+ from "\.\/seatcap_bg\.wasm";/m);
  assert.doesNotMatch(text, /from "node:|require\(/, "no Node built-ins in the Workers bundle");
});

test("in workerd, dist/workerd.mjs runs every conformance case through simulate and the Engine as Node does", async () => {
  const mf = new Miniflare({
    // Listed, not discovered: the entry keeps SqliteStore.open's `import(driver)`, which a Worker never calls.
    modules: [
      {
        type: "ESModule",
        path: path.join(import.meta.dirname, "fixtures/workerd-entry-worker.mjs"),
      },
      { type: "ESModule", path: path.join(root, "dist/workerd.mjs") },
      { type: "CompiledWasm", path: path.join(root, "dist/seatcap_bg.wasm") },
    ],
    modulesRoot: root,
    compatibilityDate: "2026-04-01",
    host: "127.0.0.1",
    port: 0,
    cf: false,
    telemetry: { enabled: false },
  });
  try {
    const cases = conformanceCases();
    const response = await mf.dispatchFetch("http://127.0.0.1/", {
      method: "POST",
      body: JSON.stringify(cases.map((c) => c.scenario)),
    });
    assert.equal(response.status, 200, await response.clone().text());
    const { version, results, engineRuns } = await response.json();
    assert.equal(version, "0.1.0");
    assert.equal(results.length, cases.length);
    cases.forEach((c, i) => {
      assert.equal(results[i].type, "success", c.name);
      assert.deepStrictEqual(results[i].outcome, c.outcome, c.name);
      // The Engine over a MemoryStore, in the same bundle, agrees with both.
      assert.deepStrictEqual(
        engineRuns[i],
        { events: c.outcome.events, state: c.outcome.state },
        `${c.name} (Engine)`,
      );
    });
  } finally {
    await mf.dispose();
  }
});
