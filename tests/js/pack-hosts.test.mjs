// The packed tarball in every host: publint and attw (@arethetypeswrong/cli)
// on the tarball itself; one small app importing `seatcap` from the installed
// tarball and run in Node, Deno and Bun (npm's own builds of both,
// devDependencies), and bundled by esbuild for the browser and loaded in
// headless Chromium; and the sizes a user downloads. (Node CJS/ESM, the bin
// and the TypeScript consumers are pack.test.mjs.)
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { gzipSync } from "node:zlib";
import { launchChromium, root, startStaticServer } from "./helpers.mjs";
import { expected, installProject, packTarball, scenario } from "./pack-helpers.mjs";

const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
const pins = manifest.devDependencies;
const bin = (name) => path.join(root, "node_modules/.bin", name);
const kb = (n) => `${(n / 1000).toFixed(1)} KB`;

let packed;
let dir; // a fresh ESM project with the tarball installed

before(() => {
  packed = packTarball("seatcap-pack-hosts-");
  dir = installProject(packed.work, packed.tarball, "hosts-consumer", "module");
});

after(() => packed?.remove());

/**
 * The app every host runs: `simulate` over the one-seat scenario, then an
 * Engine over a MemoryStore given the same state, asked twice for the seat.
 * `load` brings the wasm in; `report` hands the result back.
 */
function app({ load, report }) {
  return `import { init, simulate, version, Engine, MemoryStore } from "seatcap";
${load}
const scenario = ${JSON.stringify(scenario)};
const { events, ...state } = scenario;
const engine = new Engine(new MemoryStore());
await engine.importScenario(state);
const at = new Date("2026-03-01T00:00:00Z");
const first = await engine.connect("a@d.com", "activesync", at);
const second = await engine.connect("b@d.com", "activesync", at);
const result = {
  version: version(),
  simulate: simulate(scenario).outcome.events.map((e) => e.reason),
  engine: [first.reason, second.reason],
  allowed: [first.allowed, second.allowed],
};
${report}
`;
}
const outcome = {
  version: "0.1.0",
  simulate: expected,
  engine: expected,
  allowed: [true, false],
};

/** Runs `command args` in the consumer project; its stdout, trimmed. Fails on a non-zero exit or a hang. */
function run(command, args, env = {}) {
  const result = spawnSync(command, args, {
    cwd: dir,
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: "1", ...env },
  });
  assert.ifError(result.error);
  assert.equal(result.status, 0, `${command} ${args.join(" ")}\n${result.stdout}${result.stderr}`);
  return result.stdout.trim();
}

/** The exports subpaths by how they are checked; every subpath must be in one list. */
const DUAL = ["."]; // ESM and CommonJS, types for each
const ESM_ONLY = ["./server", "./cloudflare"];
const ASSETS = ["./seatcap_bg.wasm", "./package.json"]; // files, not modules with types

test("publint finds nothing in the tarball but the one suggestion declined (sideEffects)", async () => {
  const { publint } = await import("publint");
  const { formatMessage } = await import("publint/utils");
  const { messages, pkg } = await publint({
    pack: { tarball: new Uint8Array(readFileSync(packed.tarball)).buffer },
    level: "suggestion",
    strict: true,
  });
  // Declined on purpose (docs/decisions.md "Packaging checks"): `"sideEffects": false` would be
  // untrue. Each entry's top level loads the wasm (node, workerd) or registers the loader
  // (web), and the same package.json governs the repository's own esbuild build, where it
  // made dist/cloudflare.mjs drop js/src/workerd.ts's initSync (seen when tried).
  const declined = new Set(["USE_SIDE_EFFECTS"]);
  const found = messages
    .filter((m) => !declined.has(m.code))
    .map((m) => `${m.type} ${m.code}: ${formatMessage(m, pkg, { color: false })}`);
  assert.deepStrictEqual(found, []);
});

test("attw: the root entry's types are right in every resolution; server and cloudflare are ESM-only on purpose", () => {
  const subpaths = Object.keys(manifest.exports);
  assert.deepStrictEqual(
    [...subpaths].sort(),
    [...DUAL, ...ESM_ONLY, ...ASSETS].sort(),
    "each exports subpath is classified here",
  );
  const attw = (args) => run(bin("attw"), [packed.tarball, "--format", "ascii", ...args]);
  // node10, node16 from CJS and from ESM, bundler: all must be clean.
  attw(["--profile", "strict", "--entrypoints", ...DUAL]);
  // The edge-server and Worker entries are ESM only (docs/decisions.md "Packaging checks"):
  // attw's esm-only profile leaves out exactly the node10 and node16-from-CJS resolutions.
  attw(["--profile", "esm-only", "--entrypoints", ...ESM_ONLY]);
  // ESM-only still serves CommonJS on this Node: require() of an ES module (Node ≥ 20.19).
  const required = run(process.execPath, [
    "--input-type=commonjs",
    "-e",
    'console.log(typeof require("seatcap/server").createHandler)',
  ]);
  assert.equal(required, "function");
});

/** Where `import "seatcap"` leads in a host, relative to the installed package. */
const entryOf = (report) => path.relative(path.join(dir, "node_modules/seatcap"), report);
const cliReport = `console.log(JSON.stringify({ entry: import.meta.resolve("seatcap"), ...result }));`;

function runApp(file, command, args, env) {
  writeFileSync(path.join(dir, file), app({ load: "await init();", report: cliReport }));
  const { entry, ...result } = JSON.parse(run(command, [...args, file], env));
  return { entry: entryOf(new URL(entry).pathname), result };
}

test("Node runs the app from the installed tarball (the baseline for Deno and Bun)", () => {
  const { entry, result } = runApp("app-node.mjs", process.execPath, []);
  assert.equal(entry, "dist/node.mjs");
  assert.deepStrictEqual(result, outcome);
});

test("Deno (npm deno, pinned) runs the app from node_modules, offline, and type-checks a consumer", (t) => {
  assert.ok(existsSync(bin("deno")), "node_modules/.bin/deno is missing: run `npm ci`");
  const env = {
    DENO_DIR: path.join(packed.work, "deno-dir"),
    DENO_NO_UPDATE_CHECK: "1",
  };
  const version = run(bin("deno"), ["--version"], env).split("\n")[0];
  t.diagnostic(version);
  assert.match(version, new RegExp(`^deno ${pins.deno.replaceAll(".", "\\.")} `));
  // Deno reads package.json and uses node_modules as it is; --no-remote and --cached-only
  // forbid any download, --no-prompt turns a missing permission into an error.
  const offline = ["--no-remote", "--cached-only"];
  const { entry, result } = runApp(
    "app-deno.mjs",
    bin("deno"),
    ["run", "--no-prompt", ...offline, "--allow-read=."],
    env,
  );
  assert.equal(entry, "dist/node.mjs", "Deno takes the node condition");
  assert.deepStrictEqual(result, outcome);
  writeFileSync(
    path.join(dir, "check-deno.ts"),
    `import { simulate, Engine, MemoryStore, type SimulateResult, type ConnectResult, type ErrorCode } from "seatcap";
const r: SimulateResult = simulate({ licence: { features: {} }, directory: {} });
const code: ErrorCode | undefined = r.type === "failure" ? r.error.code : undefined;
const c: ConnectResult = await new Engine(new MemoryStore()).connect("a@d.com", "activesync", new Date());
const allowed: boolean = c.allowed;
void code; void allowed;
`,
  );
  run(bin("deno"), ["check", ...offline, "check-deno.ts"], env);
});

test("Bun (npm bun, pinned) runs the app from node_modules, without installing anything", (t) => {
  assert.ok(existsSync(bin("bun")), "node_modules/.bin/bun is missing: run `npm ci`");
  const env = { BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0", DO_NOT_TRACK: "1" };
  const version = run(bin("bun"), ["--version"], env);
  t.diagnostic(`bun ${version}`);
  assert.equal(version, pins.bun);
  const { entry, result } = runApp("app-bun.mjs", bin("bun"), ["--no-install"], env);
  assert.equal(entry, "dist/node.mjs", "Bun takes the node condition");
  assert.deepStrictEqual(result, outcome);
});

test("esbuild bundles the app for the browser from the tarball, and the bundle runs in Chromium", async (t) => {
  // esbuild leaves web.mjs's `new URL("./seatcap_bg.wasm", import.meta.url)` as it is (it ships
  // no asset for it), so the app imports the exported wasm with the `file` loader and passes
  // its URL to init(): esbuild then emits the wasm beside the bundle.
  writeFileSync(
    path.join(dir, "app-browser.mjs"),
    app({
      load: 'import wasmUrl from "seatcap/seatcap_bg.wasm";\nawait init(wasmUrl);',
      report: "globalThis.seatcapResult = result;",
    }),
  );
  const { build } = await import("esbuild");
  const built = await build({
    entryPoints: ["app-browser.mjs"],
    absWorkingDir: dir,
    outdir: "out",
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    loader: { ".wasm": "file" },
    metafile: true,
    logLevel: "silent",
  });
  assert.ok(
    Object.keys(built.metafile.inputs).includes("node_modules/seatcap/dist/web.mjs"),
    "the browser condition → dist/web.mjs",
  );
  const outputs = Object.keys(built.metafile.outputs);
  const script = outputs.find((f) => f.endsWith(".js"));
  const wasm = outputs.find((f) => f.endsWith(".wasm"));
  assert.ok(script && wasm, outputs.join(", "));
  // The page beside the bundle and its wasm, as a static host would serve them.
  writeFileSync(
    path.join(dir, "out/index.html"),
    '<!doctype html><meta charset="utf-8"><title>seatcap bundle</title><script type="module" src="./app-browser.js"></script>',
  );
  const js = readFileSync(path.join(dir, script));
  t.diagnostic(
    `browser bundle: ${kb(js.length)} raw, ${kb(gzipSync(js, { level: 9 }).length)} gzip (+ the wasm)`,
  );

  const server = await startStaticServer({ dir: path.join(dir, "out") });
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    const errors = [];
    // The first uncaught error (a 404 for the wasm, say) ends the wait at once.
    const crashed = new Promise((resolve) =>
      page.on("pageerror", (e) => {
        errors.push(String(e));
        resolve();
      }),
    );
    await page.goto(`${server.url}/index.html`);
    await Promise.race([
      page.waitForFunction(() => globalThis.seatcapResult, null, { timeout: 20_000 }),
      crashed,
    ]);
    assert.deepStrictEqual(errors, []);
    assert.deepStrictEqual(await page.evaluate(() => globalThis.seatcapResult), outcome);
  } finally {
    await browser.close();
    await server.close();
  }
});

test("the tarball's sizes (printed, not budgeted here: scripts/build.mjs budgets the wasm)", (t) => {
  const { info } = packed;
  const wasm = readFileSync(path.join(dir, "node_modules/seatcap/dist/seatcap_bg.wasm"));
  assert.deepStrictEqual(wasm, readFileSync(path.join(root, "dist/seatcap_bg.wasm")));
  assert.equal(info.size, statSync(packed.tarball).size);
  assert.equal(
    info.unpackedSize,
    info.files.reduce((sum, f) => sum + f.size, 0),
  );
  const lines = [
    `tarball ${info.filename}: ${kb(info.size)} packed, ${kb(info.unpackedSize)} unpacked, ${info.entryCount} files`,
    `wasm dist/seatcap_bg.wasm: ${kb(wasm.length)} raw, ${kb(gzipSync(wasm, { level: 9 }).length)} gzip`,
  ];
  for (const line of lines) t.diagnostic(line);
});
