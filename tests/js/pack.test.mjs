// The package as users get it: `npm pack`, installed into fresh CommonJS and
// ESM projects, imported, run through its bin, and type-checked from TypeScript.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { root } from "./helpers.mjs";
import {
  expected,
  installProject,
  packTarball,
  scenario,
  writeWorkersRuntimeTypes,
} from "./pack-helpers.mjs";

let work;
let tarball;
let remove;

function project(name, type) {
  return installProject(work, tarball, name, type);
}

function node(dir, file, code) {
  writeFileSync(path.join(dir, file), code);
  const result = spawnSync(process.execPath, [file], { cwd: dir, encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.trim();
}

/**
 * Type-checks `code` as a consumer would: `module` is node16 (resolution
 * node16) or esnext (resolution bundler). Only the ES library, no DOM and no
 * @types/node: the package's types must need neither (`seatcap/server` needs
 * the fetch types, `lib` "dom" here, as any Request/Response host has).
 */
function tsc(dir, file, code, module, lib = "es2022", extraFiles = []) {
  writeFileSync(path.join(dir, file), code);
  const resolution = module === "esnext" ? "bundler" : module;
  const result = spawnSync(
    path.join(root, "node_modules/.bin/tsc"),
    [
      "--noEmit",
      "--strict",
      "--module",
      module,
      "--moduleResolution",
      resolution,
      "--target",
      "es2022",
      "--lib",
      lib,
      file,
      ...extraFiles,
    ],
    { cwd: dir, encoding: "utf8" },
  );
  assert.equal(result.status, 0, result.stdout + result.stderr);
}

before(() => {
  ({ work, tarball, remove } = packTarball());
});

after(() => remove?.());

test("the tarball holds the built artefacts and nothing else of the repository", () => {
  const list = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean);
  for (const f of [
    "package/dist/node.mjs",
    "package/dist/node.cjs",
    "package/dist/web.mjs",
    "package/dist/workerd.mjs",
    "package/dist/cli.mjs",
    "package/dist/seatcap_bg.wasm",
    "package/dist/server.mjs",
    "package/dist/server/index.d.ts",
    "package/dist/cloudflare.mjs",
    "package/dist/cloudflare/index.d.ts",
    "package/dist/openapi.json",
    "package/dist/index.d.ts",
    "package/dist/cjs/index.d.ts",
    "package/README.md",
    "package/package.json",
  ]) {
    assert.ok(list.includes(f), `${f} is packed`);
  }
  assert.ok(
    !list.some(
      (f) =>
        f.startsWith("package/src/") ||
        f.startsWith("package/tests/") ||
        f.startsWith("package/edge/") ||
        f.includes(".stamp"),
    ),
    list.join("\n"),
  );
});

test("a fresh CommonJS project requires seatcap", () => {
  const dir = project("cjs-consumer", "commonjs");
  const out = node(
    dir,
    "index.js",
    `
    const seatcap = require("seatcap");
    const r = seatcap.simulate(${JSON.stringify(scenario)});
    console.log(JSON.stringify(r.outcome.events.map((e) => e.reason)));
  `,
  );
  assert.deepStrictEqual(JSON.parse(out), expected);
  tsc(
    dir,
    "check.ts",
    `
    import seatcap = require("seatcap");
    const r: seatcap.SimulateResult = seatcap.simulate({ licence: { features: {} }, directory: {} });
    if (r.type === "success") { const n: number = r.outcome.events.length; void n; }
    else { const code: seatcap.ErrorCode = r.error.code; void code; }
  `,
    "node16",
  );
});

test("a fresh ESM project imports seatcap, and its bin runs", () => {
  const dir = project("esm-consumer", "module");
  const out = node(
    dir,
    "index.mjs",
    `
    import { simulate, validateScenario, version, Engine, MemoryStore } from "seatcap";
    import { createHandler, Tokens } from "seatcap/server";
    const r = simulate(${JSON.stringify(scenario)});
    const handler = createHandler({ engine: new Engine(new MemoryStore()), tokens: await Tokens.from({}), gateway: { forward: fetch }, licence: { trustedKeys: [] }, version: version() });
    const health = await (await handler.fetch(new Request("http://x/v1/health"))).json();
    console.log(JSON.stringify([version(), validateScenario("[]").type, health.version, ...r.outcome.events.map((e) => e.reason)]));
  `,
  );
  assert.deepStrictEqual(JSON.parse(out), ["0.1.0", "failure", "0.1.0", ...expected]);
  writeFileSync(path.join(dir, "s.json"), JSON.stringify(scenario));
  const bin = spawnSync(path.join(dir, "node_modules/.bin/seatcap"), ["simulate", "s.json"], {
    cwd: dir,
    encoding: "utf8",
  });
  assert.equal(bin.status, 0, bin.stderr);
  assert.deepStrictEqual(
    JSON.parse(bin.stdout).events.map((e) => e.reason),
    expected,
  );
  const consumer = `
    import { simulate, explain, init, Engine, MemoryStore, SqliteStore, PostgresStore, type Scenario, type Outcome,
      type Explanation, type SimulateResult, type ConnectResult, type Store, type LogEntry } from "seatcap";
    const s: Scenario = { licence: { features: { activesync: { seats: 200 } } }, policy: { overflow: "waitlist" },
      directory: { domains: { "example.com": { settings: { activesync: "enabled" } } }, generate: [{ domain: "example.com", count: 500, prefix: "user" }] },
      events: [{ op: "connect", account: "user1@example.com", feature: "activesync" }, { op: "set-type", account: "user2@example.com", type: "basic" }] };
    await init();
    const r: SimulateResult = simulate(s, { onProgress: (done: number, total: number) => void (done / total) });
    const o: Outcome | undefined = r.type === "success" ? r.outcome : undefined;
    const e = explain(s, "user1@example.com", "activesync");
    const x: Explanation | undefined = e.type === "success" ? e.explanation : undefined;
    const engine = new Engine(new MemoryStore(), { tries: 3 });
    const c: ConnectResult = await engine.connect("user1@example.com", "activesync", new Date());
    const allowed: boolean = c.allowed;
    const seats = await engine.seats("activesync");
    const holders: string[] = seats.type === "success" ? seats.seats.holders.map((h) => h.account) : [];
    const own: Store = { get: (keys: string[]) => keys.map(() => null), commit: async () => true, list: () => [] };
    void new Engine(own); void o; void x; void allowed; void holders;
    void SqliteStore; void PostgresStore;
    const log = await engine.by("me").log();
    const entries: LogEntry[] = log.type === "success" ? log.page.items : [];
    void entries;
    export {};
  `;
  tsc(dir, "check.ts", consumer, "node16");
  tsc(dir, "check-bundler.ts", consumer, "esnext");
  const server = `
    import { Engine, MemoryStore } from "seatcap";
    import { createHandler, Tokens, type Handler, type Role } from "seatcap/server";
    const handler: Handler = createHandler({ engine: new Engine(new MemoryStore()), tokens: await Tokens.from({ serverAdmin: ["0123456789abcdef"] }),
      gateway: { upstream: new URL("http://mail.local/"), forward: (request: Request) => fetch(request) }, licence: { trustedKeys: [] } });
    const res: Response = await handler.fetch(new Request("http://x/v1/health"));
    const role: Role = { kind: "domain-admin", domain: "example.com" };
    void res; void role;
    export {};
  `;
  tsc(dir, "check-server.ts", server, "node16", "es2022,dom");
  tsc(dir, "check-server-bundler.ts", server, "esnext", "es2022,dom");
  writeWorkersRuntimeTypes(dir);
  const cloudflare = `
    import worker, { SeatLedger, createWorker, DurableObjectStore, remoteEngine, type WorkerEnv } from "seatcap/cloudflare";
    export { SeatLedger };
    const perHost = createWorker({ tenantOf: (request: Request) => new URL(request.url).hostname });
    const main: { fetch(request: Request, env: WorkerEnv): Promise<Response> } = worker;
    void perHost; void main; void DurableObjectStore; void remoteEngine;
  `;
  tsc(dir, "check-cloudflare.ts", cloudflare, "esnext", "es2022,dom", ["workers-runtime.d.ts"]);
});

test("bundlers resolve the browser and workerd conditions to their entries", async () => {
  const dir = path.join(work, "esm-consumer");
  writeFileSync(
    path.join(dir, "app.mjs"),
    `import { init, simulate } from "seatcap"; await init(); console.log(simulate("{}"));`,
  );
  const { build } = await import("esbuild");
  const inputs = async (options) => {
    const result = await build({
      entryPoints: ["app.mjs"],
      absWorkingDir: dir,
      bundle: true,
      write: false,
      metafile: true,
      format: "esm",
      logLevel: "silent",
      ...options,
    });
    return Object.keys(result.metafile.inputs);
  };
  assert.ok(
    (await inputs({ platform: "browser" })).includes("node_modules/seatcap/dist/web.mjs"),
    "browser → dist/web.mjs",
  );
  assert.ok(
    (
      await inputs({ platform: "neutral", conditions: ["workerd", "worker"], external: ["*.wasm"] })
    ).includes("node_modules/seatcap/dist/workerd.mjs"),
    "workerd → dist/workerd.mjs",
  );
  assert.ok(
    (await inputs({ platform: "node" })).includes("node_modules/seatcap/dist/node.mjs"),
    "node → dist/node.mjs",
  );
});

test("TypeScript rejects a scenario with a misspelt policy value", () => {
  const dir = path.join(work, "esm-consumer");
  writeFileSync(
    path.join(dir, "bad.ts"),
    `import { simulate } from "seatcap"; simulate({ licence: { features: {} }, directory: {}, policy: { overflow: "queue" } });`,
  );
  const result = spawnSync(
    path.join(root, "node_modules/.bin/tsc"),
    [
      "--noEmit",
      "--strict",
      "--module",
      "node16",
      "--moduleResolution",
      "node16",
      "--lib",
      "es2022",
      "bad.ts",
    ],
    { cwd: dir, encoding: "utf8" },
  );
  assert.notEqual(result.status, 0);
  assert.match(result.stdout, /"queue"/);
});
