#!/usr/bin/env node
// Builds the npm package into dist/:
//   Rust → wasm (wasm-pack, release profile) → wasm-opt -Oz (npm `binaryen`,
//   never Debian's) → dist/seatcap_bg.wasm, size printed and budgeted;
//   the TypeScript wrapper bundled per host by esbuild; .d.ts by tsc.
// Skips everything when no input changed since the last build (--force rebuilds).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";

const root = path.resolve(import.meta.dirname, "..");
const dist = path.join(root, "dist");
const pkg = path.join(root, "pkg");
const WASM_BUDGET = 250_000; // bytes, raw, after wasm-opt (issue #2)
const force = process.argv.includes("--force");

process.env.PATH = [path.join(homedir(), ".cargo/bin"), path.join(root, "node_modules/.bin"), process.env.PATH].join(path.delimiter);

function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}

function inputsHash() {
  const h = createHash("sha256");
  const inputs = [
    ...files(path.join(root, "src")),
    ...files(path.join(root, "js/src")),
    ...["Cargo.toml", "Cargo.lock", "package.json", "scripts/build.mjs", "js/tsconfig.json", "js/tsconfig.types.json"].map((f) =>
      path.join(root, f),
    ),
  ].sort();
  for (const f of inputs) {
    h.update(path.relative(root, f));
    h.update(readFileSync(f));
  }
  return h.digest("hex");
}

function run(cmd, args) {
  try {
    execFileSync(cmd, args, { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  } catch {
    console.error(`[build] failed: ${cmd} ${args.join(" ")}`);
    process.exit(1);
  }
}

async function step(name, fn) {
  const start = performance.now();
  await fn();
  console.log(`[build] ${name}: ${((performance.now() - start) / 1000).toFixed(1)} s`);
}

function kb(n) {
  return `${(n / 1000).toFixed(1)} KB`;
}

function reportSize() {
  const raw = readFileSync(path.join(dist, "seatcap_bg.wasm"));
  const before = existsSync(path.join(pkg, "seatcap_bg.wasm")) ? statSync(path.join(pkg, "seatcap_bg.wasm")).size : NaN;
  const gz = gzipSync(raw, { level: 9 }).length;
  console.log(
    `[build] wasm: ${kb(raw.length)} raw, ${kb(gz)} gzip (before wasm-opt: ${kb(before)}; budget ${kb(WASM_BUDGET)} raw)`,
  );
  if (raw.length > WASM_BUDGET) {
    console.error(`[build] the optimised wasm is ${raw.length} bytes, over the ${WASM_BUDGET}-byte budget`);
    process.exit(1);
  }
}

const stampFile = path.join(dist, ".stamp");
const hash = inputsHash();
if (!force && existsSync(stampFile) && readFileSync(stampFile, "utf8") === hash) {
  console.log("[build] dist/ is up to date");
  reportSize();
  process.exit(0);
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

await step("wasm-pack (cargo build --release, wasm-bindgen)", () =>
  run("wasm-pack", [
    "build", "--release", "--mode", "no-install", "--target", "web", "--no-pack",
    "--out-dir", "pkg", "--out-name", "seatcap", "--", "--features", "wasm",
  ]),
);
await step("wasm-opt -Oz", () =>
  run("wasm-opt", ["-Oz", path.join(pkg, "seatcap_bg.wasm"), "-o", path.join(dist, "seatcap_bg.wasm")]),
);
reportSize();

const { build } = await import("esbuild");
await step("esbuild (node ESM/CJS, browser, workerd, CLI)", async () => {
  const common = { bundle: true, logLevel: "warning", target: "es2022", legalComments: "none" };
  await build({ ...common, entryPoints: ["js/src/node.ts"], outfile: "dist/node.mjs", platform: "node", format: "esm" });
  await build({
    ...common,
    entryPoints: ["js/src/node.ts"],
    outfile: "dist/node.cjs",
    platform: "node",
    format: "cjs",
    define: { "import.meta.url": "__seatcap_url" },
    banner: { js: 'const __seatcap_url = require("node:url").pathToFileURL(__filename).href;' },
  });
  await build({ ...common, entryPoints: ["js/src/web.ts"], outfile: "dist/web.mjs", platform: "browser", format: "esm" });
  await build({
    ...common,
    entryPoints: ["js/src/workerd.ts"],
    outfile: "dist/workerd.mjs",
    platform: "neutral",
    format: "esm",
    external: ["./seatcap_bg.wasm"],
  });
  await build({
    ...common,
    entryPoints: ["js/src/cli.ts"],
    outfile: "dist/cli.mjs",
    platform: "node",
    format: "esm",
    banner: { js: "#!/usr/bin/env node" },
  });
});
await step("tsc (declarations)", () => {
  run("tsc", ["-p", "js/tsconfig.types.json"]);
  // CommonJS consumers get the same declarations under a "type": "commonjs" folder.
  const cjs = path.join(dist, "cjs");
  for (const f of files(dist).filter((f) => f.endsWith(".d.ts"))) {
    const target = path.join(cjs, path.relative(dist, f));
    mkdirSync(path.dirname(target), { recursive: true });
    copyFileSync(f, target);
  }
  writeFileSync(path.join(cjs, "package.json"), '{ "type": "commonjs" }\n');
});
writeFileSync(stampFile, hash);
console.log("[build] dist/ is ready");
