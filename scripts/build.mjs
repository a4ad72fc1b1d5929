#!/usr/bin/env node
// Builds the npm package into dist/, in two stages that each skip themselves
// when their inputs (content hash) are unchanged; `--force` rebuilds both.
//   wasm: Rust → wasm-pack (release, wasm-bindgen) → pkg/ → wasm-opt -Oz (npm
//         `binaryen`, never Debian's) → dist/seatcap_bg.wasm; size budgeted.
//   js:   the TypeScript wrapper bundled per host by esbuild; .d.ts by tsc.
// The size report prints on every run, built or not.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";

const root = path.resolve(import.meta.dirname, "..");
const dist = path.join(root, "dist");
const pkg = path.join(root, "pkg");
const WASM_BUDGET = 400_000; // bytes, raw, after wasm-opt (docs/decisions.md "wasm size")
const force = process.argv.includes("--force");
// The features rustc 1.95 turns on for wasm32-unknown-unknown. wasm-opt also
// reads them from the module's target_features section; naming them keeps
// wasm-opt working should that section ever be stripped.
const WASM_FEATURES = [
  "--enable-bulk-memory",
  "--enable-bulk-memory-opt",
  "--enable-nontrapping-float-to-int",
  "--enable-sign-ext",
  "--enable-mutable-globals",
  "--enable-reference-types",
  "--enable-multivalue",
];
const WASM_OPT_ARGS = ["-Oz", ...WASM_FEATURES];

process.env.PATH = [
  path.join(root, "node_modules/.bin"),
  path.join(homedir(), ".cargo/bin"),
  process.env.PATH,
].join(path.delimiter);

function die(message) {
  console.error(`[build] ${message}`);
  process.exit(1);
}

function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}

function output(cmd, args) {
  try {
    return execFileSync(cmd, args, {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return "";
  }
}

function run(cmd, args) {
  try {
    execFileSync(cmd, args, { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  } catch {
    die(`failed: ${cmd} ${args.join(" ")}`);
  }
}

/** sha256 over the named files (sorted, missing ones skipped) and extra strings. */
function hashOf(paths, extra = []) {
  const h = createHash("sha256");
  for (const f of paths.filter((f) => existsSync(f)).sort()) {
    h.update(`${path.relative(root, f)}\0`);
    h.update(readFileSync(f));
  }
  for (const x of extra) h.update(`\0${x}`);
  return h.digest("hex");
}

const stampPath = (name) => path.join(dist, `.stamp-${name}`);
function fresh(name, hash, outputs) {
  return (
    !force &&
    outputs.every((f) => existsSync(f)) &&
    existsSync(stampPath(name)) &&
    readFileSync(stampPath(name), "utf8") === hash
  );
}

async function step(name, fn) {
  const start = performance.now();
  await fn();
  console.log(`[build] ${name}: ${((performance.now() - start) / 1000).toFixed(1)} s`);
}

const kb = (n) => `${(n / 1000).toFixed(1)} KB`;

function sizes(file) {
  const bytes = readFileSync(file);
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

/** The wasm-bindgen CLI must be exactly the crate's version (TOOLCHAIN.md), or bindgen fails obscurely. */
function checkToolchain() {
  const lock = readFileSync(path.join(root, "Cargo.lock"), "utf8");
  const want = /\[\[package\]\]\nname = "wasm-bindgen"\nversion = "([^"]+)"/.exec(lock)?.[1];
  const have = output("wasm-bindgen", ["--version"]).split(" ")[1];
  if (!want) die("Cargo.lock names no wasm-bindgen version");
  if (have !== want) {
    die(
      `wasm-bindgen CLI is ${have ? `version ${have}` : "missing"}, Cargo.lock wants ${want}: run \`bash scripts/setup.sh build\``,
    );
  }
  if (!output("wasm-pack", ["--version"]))
    die("wasm-pack is missing: run `bash scripts/setup.sh build`");
  const binaryen = path.join(root, "node_modules/binaryen/package.json");
  if (!existsSync(binaryen)) die("npm's binaryen (wasm-opt) is missing: run `npm ci`");
  return {
    bindgen: have,
    binaryen: JSON.parse(readFileSync(binaryen, "utf8")).version,
    rustc: output("rustc", ["-V"]),
  };
}

// ---- stage 1: the wasm --------------------------------------------------------
const wasmOut = path.join(dist, "seatcap_bg.wasm");
const glue = [path.join(pkg, "seatcap.js"), path.join(pkg, "seatcap.d.ts")];
const tools = checkToolchain();
const wasmHash = hashOf(
  [
    ...files(path.join(root, "src")),
    ...["Cargo.toml", "Cargo.lock", ".cargo/config.toml", "build.rs"].map((f) =>
      path.join(root, f),
    ),
  ],
  [tools.rustc, tools.bindgen, tools.binaryen, ...WASM_OPT_ARGS],
);
mkdirSync(dist, { recursive: true });
if (fresh("wasm", wasmHash, [wasmOut, ...glue])) {
  console.log("[build] wasm: unchanged, skipped");
} else {
  rmSync(stampPath("wasm"), { force: true });
  await step("wasm-pack (cargo build --release, wasm-bindgen)", () =>
    run("wasm-pack", [
      "build",
      "--release",
      "--mode",
      "no-install",
      "--target",
      "web",
      "--no-pack",
      "--out-dir",
      "pkg",
      "--out-name",
      "seatcap",
      "--",
      "--features",
      "wasm",
    ]),
  );
  await step("wasm-opt -Oz", () => {
    run("wasm-opt", [...WASM_OPT_ARGS, path.join(pkg, "seatcap_bg.wasm"), "-o", `${wasmOut}.tmp`]);
    renameSync(`${wasmOut}.tmp`, wasmOut);
  });
  writeFileSync(stampPath("wasm"), wasmHash);
}

const after = sizes(wasmOut);
const before = existsSync(path.join(pkg, "seatcap_bg.wasm"))
  ? sizes(path.join(pkg, "seatcap_bg.wasm"))
  : undefined;
console.log(
  `[build] wasm size: ${kb(after.raw)} raw, ${kb(after.gzip)} gzip after wasm-opt` +
    (before ? ` (before: ${kb(before.raw)} raw, ${kb(before.gzip)} gzip)` : "") +
    `; budget ${kb(WASM_BUDGET)} raw`,
);
if (after.raw > WASM_BUDGET)
  die(`the optimised wasm is ${after.raw} bytes, over the ${WASM_BUDGET}-byte budget`);

// ---- stage 2: the JavaScript and its types ---------------------------------------
const jsOutputs = [
  "node.mjs",
  "node.cjs",
  "web.mjs",
  "workerd.mjs",
  "cli.mjs",
  "engine-thread.mjs",
  "server.mjs",
  "cloudflare.mjs",
  "openapi.json",
  "index.d.ts",
  "cjs/index.d.ts",
].map((f) => path.join(dist, f));
const jsHash = hashOf(
  [
    ...files(path.join(root, "js/src")),
    ...glue,
    path.join(root, "docs/openapi.json"),
    ...[
      "package.json",
      "package-lock.json",
      "js/tsconfig.json",
      "js/tsconfig.types.json",
      "scripts/build.mjs",
    ].map((f) => path.join(root, f)),
  ],
  [process.version],
);
if (fresh("js", jsHash, jsOutputs)) {
  console.log("[build] js: unchanged, skipped");
} else {
  rmSync(stampPath("js"), { force: true });
  // Start from a clean slate (but the wasm) so no renamed module lingers in the tarball.
  for (const e of readdirSync(dist)) {
    if (!["seatcap_bg.wasm", ".stamp-wasm", "www", ".stamp-www"].includes(e))
      rmSync(path.join(dist, e), { recursive: true, force: true });
  }
  const { build } = await import("esbuild");
  await step(
    "esbuild (node ESM/CJS, browser, workerd, CLI, server, Cloudflare Worker)",
    async () => {
      const common = { bundle: true, logLevel: "warning", target: "es2022", legalComments: "none" };
      await build({
        ...common,
        entryPoints: ["js/src/node.ts"],
        outfile: "dist/node.mjs",
        platform: "node",
        format: "esm",
      });
      await build({
        ...common,
        entryPoints: ["js/src/node.ts"],
        outfile: "dist/node.cjs",
        platform: "node",
        format: "cjs",
        // CommonJS has no import.meta: the wasm is found beside this file through __filename.
        define: { "import.meta.url": "__seatcap_url" },
        banner: { js: 'const __seatcap_url = require("node:url").pathToFileURL(__filename).href;' },
      });
      await build({
        ...common,
        entryPoints: ["js/src/web.ts"],
        outfile: "dist/web.mjs",
        platform: "browser",
        format: "esm",
      });
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
        // undici (the gateway's forwarder) is CommonJS and requires Node built-ins: give the ESM bundle a `require`.
        banner: {
          js: '#!/usr/bin/env node\nimport { createRequire as __seatcapCreateRequire } from "node:module";\nconst require = __seatcapCreateRequire(import.meta.url);',
        },
      });
      // The thread `seatcap serve` runs its Engine on (js/src/server/engine-thread.ts), beside cli.mjs.
      await build({
        ...common,
        entryPoints: ["js/src/server/engine-thread-worker.ts"],
        outfile: "dist/engine-thread.mjs",
        platform: "node",
        format: "esm",
      });
      // The edge server's fetch handler for any Request/Response host; it takes an Engine, so it loads no wasm itself.
      await build({
        ...common,
        entryPoints: ["js/src/server/index.ts"],
        outfile: "dist/server.mjs",
        platform: "neutral",
        format: "esm",
      });
      // The edge server as a Cloudflare Worker with its Durable Object: the engine, the handler and the
      // OpenAPI document in one module beside the wasm (wrangler.toml's `main` can re-export it).
      await build({
        ...common,
        entryPoints: ["js/src/cloudflare/index.ts"],
        outfile: "dist/cloudflare.mjs",
        platform: "neutral",
        format: "esm",
        external: ["./seatcap_bg.wasm", "cloudflare:workers"],
        alias: { "seatcap-openapi": "./docs/openapi.json" },
      });
      copyFileSync(path.join(root, "docs/openapi.json"), path.join(dist, "openapi.json"));
    },
  );
  await step("tsc (declarations)", () => {
    run("tsc", ["-p", "js/tsconfig.types.json"]);
    // CommonJS consumers (TypeScript node16 `require`) need the same declarations
    // under a "type": "commonjs" folder, or TypeScript calls them ES modules.
    const cjs = path.join(dist, "cjs");
    for (const f of files(dist).filter((f) => f.endsWith(".d.ts"))) {
      const target = path.join(cjs, path.relative(dist, f));
      mkdirSync(path.dirname(target), { recursive: true });
      copyFileSync(f, target);
    }
    writeFileSync(path.join(cjs, "package.json"), '{ "type": "commonjs" }\n');
  });
  writeFileSync(stampPath("js"), jsHash);
}
// ---- stage 3: the console (www/) -------------------------------------------------
// A static site in dist/www/: the page, its script, the simulator's Web Worker (which loads the
// wasm beside it), styles, and the rules reference (docs/rules.md as rules.html, which the
// console's "rule N" links open). The Node server serves it at /, the Worker as its static
// assets (edge/cloudflare/wrangler.toml); any static file server can too.
const www = path.join(dist, "www");
const rulesSource = path.join(root, "docs/rules.md");
const wwwOutputs = [
  "index.html",
  "favicon.svg",
  "app.js",
  "worker.js",
  "style.css",
  "uPlot.min.css",
  "seatcap_bg.wasm",
  ...(existsSync(rulesSource) ? ["rules.html"] : []),
].map((f) => path.join(www, f));
const wwwHash = hashOf(
  [
    ...files(path.join(root, "www")),
    ...files(path.join(root, "js/src")),
    ...glue,
    wasmOut,
    rulesSource,
    path.join(root, "package-lock.json"),
    path.join(root, "scripts/build.mjs"),
  ],
  [process.version],
);

const escapeHtml = (s) =>
  s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

/**
 * docs/rules.md as a page of the console (marked, GitHub-flavoured), with the console's header
 * and stylesheet. Its raw HTML — the `<a id="r1"></a>` … anchors the console links to — is kept
 * as written. A link to `rules.md#x` stays on this page; a link to any other file of the
 * repository (other docs, test cases) is not served beside the console, so it becomes its text,
 * with the path in a tooltip.
 */
async function rulesPage(markdown) {
  const { Marked } = await import("marked");
  const marked = new Marked({
    gfm: true,
    renderer: {
      link({ href, title, tokens }) {
        const text = this.parser.parseInline(tokens);
        const self = /^(?:\.\/)?rules\.md(#.*)?$/.exec(href);
        const local = !/^([a-z][a-z0-9+.-]*:|#|\/\/)/i.test(href);
        if (self) href = self[1] ?? "#";
        else if (local) {
          const where = path.posix.normalize(path.posix.join("docs", href));
          return `<span class="doc-ref" title="${escapeHtml(`In the repository: ${where}`)}">${text}</span>`;
        }
        const titled = title ? ` title="${escapeHtml(title)}"` : "";
        return `<a href="${escapeHtml(href)}"${titled}>${text}</a>`;
      },
    },
  });
  // marked wraps an anchor alone on its line in a paragraph; unwrapped, it sits right before its heading.
  const body = (await marked.parse(markdown)).replace(/<p>(<a id="[^"]+"><\/a>)<\/p>\n/g, "$1\n");
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>seatcap — the rules</title>
  <link rel="icon" href="./favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="./style.css">
</head>
<body class="rules-page">
  <a class="skip" href="#doc">Skip to content</a>
  <header class="top">
    <a class="brand" href="./index.html#/sim">seatcap</a>
    <nav aria-label="Sections">
      <a href="./index.html#/sim">What-if simulator</a>
      <a href="./index.html#/admin">Admin console</a>
      <a href="./rules.html" aria-current="page">Rules</a>
    </nav>
  </header>
  <main id="doc" class="doc" tabindex="-1">
${body}
  </main>
</body>
</html>
`;
}
if (fresh("www", wwwHash, wwwOutputs)) {
  console.log("[build] www: unchanged, skipped");
} else {
  rmSync(stampPath("www"), { force: true });
  rmSync(www, { recursive: true, force: true });
  mkdirSync(www, { recursive: true });
  const { build } = await import("esbuild");
  await step("esbuild (console: page and simulator worker)", async () => {
    const common = {
      bundle: true,
      logLevel: "warning",
      target: "es2022",
      legalComments: "none",
      format: "esm",
      platform: "browser",
      minify: true,
      sourcemap: "linked",
    };
    await build({ ...common, entryPoints: ["www/src/main.ts"], outfile: "dist/www/app.js" });
    await build({
      ...common,
      entryPoints: ["www/src/sim/worker.ts"],
      outfile: "dist/www/worker.js",
    });
    for (const f of ["index.html", "favicon.svg"])
      copyFileSync(path.join(root, "www", f), path.join(www, f));
    if (existsSync(rulesSource))
      writeFileSync(
        path.join(www, "rules.html"),
        await rulesPage(readFileSync(rulesSource, "utf8")),
      );
    else
      console.warn(
        "[build] docs/rules.md is missing: no rules.html, so the console's rule links will not resolve",
      );
    // One stylesheet: the base, then each part's own (www/src/**/*.css), in path order.
    const sheets = [
      path.join(root, "www/style.css"),
      ...files(path.join(root, "www/src"))
        .filter((f) => f.endsWith(".css"))
        .sort(),
    ];
    writeFileSync(
      path.join(www, "style.css"),
      sheets.map((f) => `/* ${path.relative(root, f)} */\n${readFileSync(f, "utf8")}`).join("\n"),
    );
    copyFileSync(
      path.join(root, "node_modules/uplot/dist/uPlot.min.css"),
      path.join(www, "uPlot.min.css"),
    );
    copyFileSync(wasmOut, path.join(www, "seatcap_bg.wasm"));
  });
  writeFileSync(stampPath("www"), wwwHash);
}
const page = ["app.js", "worker.js", "style.css", "uPlot.min.css", "index.html"].reduce(
  (sum, f) => sum + sizes(path.join(www, f)).gzip,
  0,
);
console.log(`[build] console: ${kb(page)} gzip of page, scripts and styles, plus the wasm`);
console.log("[build] dist/ is ready");
