// The documentation stays true (issue 17): every shell snippet of README.md,
// CHANGELOG.md, SECURITY.md and docs/*.md runs, every TypeScript snippet
// type-checks against the built package's types, the README's tour runs
// against a real `seatcap serve --demo`, every relative link and #anchor
// resolves, and every table of measured numbers in docs/performance.md was
// written by a benchmark script. A snippet that can't run here says why in
// `<!-- not run: reason -->` right before its fence (docs/testing.md).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { root } from "./helpers.mjs";
import { writeWorkersRuntimeTypes } from "./pack-helpers.mjs";

const DOCS = [
  "README.md",
  "CHANGELOG.md",
  "SECURITY.md",
  ...readdirSync(path.join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
];
const SHELL = new Set(["sh", "bash", "shell", "console", "zsh"]);
const TYPESCRIPT = new Set(["ts", "typescript", "tsx"]);
/** Languages that must be written as `ts` (so they are type-checked) or marked. */
const UNCHECKED_CODE = new Set(["js", "javascript", "mjs", "cjs", "jsx"]);
const NOT_RUN = /^<!--\s*not run:\s*(.+?)\s*-->$/;
const MARKER = (n) => `@@seatcap-docs-${n}@@`;

/**
 * A Markdown file's fenced blocks (`lang`, `code`, `line` of the fence, `skip`: the reason of a
 * `<!-- not run: … -->` right before it), its prose lines (outside fences), and its dangling markers.
 */
function parse(file) {
  const lines = readFileSync(path.join(root, file), "utf8").split("\n");
  const blocks = [];
  const prose = [];
  const dangling = [];
  let open = null;
  let pendingSkip = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (open) {
      if (line.trimStart().startsWith(open.fence) && line.trim() === open.fence) {
        blocks.push(open);
        open = null;
      } else open.code.push(line);
      continue;
    }
    const fence = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/.exec(line);
    if (fence) {
      open = {
        file,
        line: i + 1,
        fence: fence[2],
        lang: fence[3].toLowerCase(),
        code: [],
        skip: pendingSkip?.reason ?? null,
      };
      pendingSkip = null;
      continue;
    }
    prose.push({ text: line, line: i + 1 });
    const skip = NOT_RUN.exec(line.trim());
    if (line.trim() === "") continue;
    if (pendingSkip) dangling.push(pendingSkip);
    pendingSkip = skip ? { file, line: i + 1, reason: skip[1] } : null;
  }
  assert.equal(open, null, `${file}:${open?.line}: a fence is never closed`);
  if (pendingSkip) dangling.push(pendingSkip);
  for (const b of blocks) b.code = b.code.join("\n");
  return { blocks, prose, dangling };
}

const parsed = new Map(DOCS.map((file) => [file, parse(file)]));
const allBlocks = [...parsed.values()].flatMap((p) => p.blocks);
const shellBlocks = allBlocks.filter((b) => SHELL.has(b.lang));
const tsBlocks = allBlocks.filter((b) => TYPESCRIPT.has(b.lang));
const where = (b) => `${b.file}:${b.line}`;

// ---------------------------------------------------------------------------------------------
// The world the shell snippets run in: a temp dir with `seatcap` on the PATH, a scenario.json
// (the Axigen example without events) and a licence.json (its licence), and `seatcap serve
// --demo` started there on a free port ($PORT), as `npm start` starts it.

let work;
let server;
let port;

before(async () => {
  work = mkdtempSync(path.join(tmpdir(), "seatcap-docs-"));
  const bin = path.join(work, ".bin");
  mkdirSync(bin);
  writeFileSync(
    path.join(bin, "seatcap"),
    `#!/bin/sh\nexec "${process.execPath}" "${path.join(root, "dist/cli.mjs")}" "$@"\n`,
  );
  chmodSync(path.join(bin, "seatcap"), 0o755);
  const { axigenExample } = await import(path.join(root, "dist/server.mjs"));
  writeFileSync(path.join(work, "scenario.json"), JSON.stringify(axigenExample(), null, 2));
  writeFileSync(path.join(work, "licence.json"), JSON.stringify(axigenExample().licence, null, 2));

  server = spawn(
    process.execPath,
    [path.join(root, "dist/cli.mjs"), "serve", "--demo", "--port", "0"],
    {
      cwd: work,
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let banner = "";
  port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${banner}`)), 20_000);
    server.stdout.setEncoding("utf8").on("data", (d) => {
      banner += d;
      const m = /edge server on http:\/\/127\.0\.0\.1:(\d+)/.exec(banner);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    server.stderr.setEncoding("utf8").on("data", (d) => {
      banner += d;
    });
    server.once("exit", (code) => reject(new Error(`serve exited ${code}:\n${banner}`)));
  });
  server.removeAllListeners("exit");
});

after(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The environment without any SEATCAP_* setting of the machine's (the snippets get their own). */
function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("SEATCAP_")) env[k] = v;
  return { ...env, ...extra };
}

/**
 * Splits a file's runnable shell snippets into segments, each ending at a `# → …` line (or at the
 * snippet's end): a segment's output must contain every `fragment` of its expectation line.
 */
function segments(blocks) {
  const out = [];
  for (const block of blocks) {
    let lines = [];
    const flush = (expect, line) => {
      out.push({ block, code: lines.join("\n"), expect, line });
      lines = [];
    };
    block.code.split("\n").forEach((text, i) => {
      const m = /^\s*# →(.*)$/.exec(text);
      if (m) {
        const fragments = [...m[1].matchAll(/`([^`]+)`/g)].map((f) => f[1]);
        assert.ok(
          fragments.length > 0,
          `${block.file}:${block.line + 1 + i}: a \`# →\` line names no \`fragment\` to check`,
        );
        flush(fragments, block.line + 1 + i);
      } else lines.push(text);
    });
    if (lines.some((l) => l.trim() !== "")) flush([], block.line);
    out.at(-1).last = true;
  }
  return out;
}

/** Runs one file's shell snippets in order in one bash session, as a reader follows the page. */
function runShell(file, blocks) {
  const parts = segments(blocks);
  const script = [
    "set -euo pipefail",
    ...parts.map((p, n) => `${p.code}\nprintf '\\n${MARKER(n)}\\n'`),
  ].join("\n");
  const result = spawnSync("bash", ["-c", script], {
    cwd: work,
    env: cleanEnv({
      PORT: String(port),
      PATH: `${path.join(work, ".bin")}:${process.env.PATH}`,
    }),
    encoding: "utf8",
    timeout: 45_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const ran = [];
  let rest = result.stdout;
  parts.forEach((p, n) => {
    const at = rest.indexOf(MARKER(n));
    if (at < 0) return;
    const output = rest.slice(0, at);
    rest = rest.slice(at + MARKER(n).length);
    for (const fragment of p.expect)
      assert.ok(
        output.includes(fragment),
        `${file}:${p.line}: expected \`${fragment}\` in the output of\n${p.code}\n--- output ---\n${output}`,
      );
    if (p.last) ran.push(p.block);
  });
  assert.equal(
    result.status,
    0,
    `${file}: the shell snippets failed (status ${result.status}, ${result.signal ?? "no signal"})\n` +
      `--- stderr ---\n${result.stderr}\n--- stdout ---\n${result.stdout.slice(-4000)}`,
  );
  return ran;
}

const handled = new Set();

test("every shell snippet runs, and prints what its `# →` lines say (the README's tour against serve --demo)", () => {
  let count = 0;
  for (const [file, { blocks }] of parsed) {
    const runnable = blocks.filter((b) => SHELL.has(b.lang) && b.skip === null);
    if (runnable.length === 0) continue;
    for (const b of runShell(file, runnable)) handled.add(b);
    count += runnable.length;
  }
  assert.ok(count >= 5, `only ${count} shell snippets ran: the README's tour is among them`);
  const tour = parsed.get("README.md").blocks.filter((b) => SHELL.has(b.lang) && b.skip === null);
  assert.ok(
    tour.some((b) => b.code.includes("Microsoft-Server-ActiveSync")) &&
      tour.every((b) => handled.has(b)),
    "the README's tour runs through the gateway",
  );
});

test("every TypeScript snippet type-checks against the built package's types (dist/*.d.ts)", () => {
  const runnable = tsBlocks.filter((b) => b.skip === null);
  assert.ok(runnable.length >= 5, `only ${runnable.length} TypeScript snippets`);
  const dir = mkdtempSync(path.join(tmpdir(), "seatcap-docs-ts-"));
  try {
    const files = runnable.map((b, i) => {
      const name = `snippet-${i}.ts`;
      // Each snippet is a module of its own (`export {}`), so names don't clash across snippets.
      writeFileSync(path.join(dir, name), `${b.code}\nexport {};\n`);
      return { name, block: b };
    });
    writeWorkersRuntimeTypes(dir);
    const dist = (p) => [path.join(root, "dist", p)];
    writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: "es2022",
          module: "esnext",
          moduleResolution: "bundler",
          lib: ["es2022", "dom"],
          types: [],
          paths: {
            seatcap: dist("index.d.ts"),
            "seatcap/server": dist("server/index.d.ts"),
            "seatcap/cloudflare": dist("cloudflare/index.d.ts"),
          },
        },
        files: [...files.map((f) => f.name), "workers-runtime.d.ts"],
      }),
    );
    const result = spawnSync(path.join(root, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"], {
      cwd: dir,
      encoding: "utf8",
    });
    // Errors name the snippet file and line: map them back to the Markdown.
    const mapped = (result.stdout + result.stderr).replace(
      /snippet-(\d+)\.ts\((\d+),(\d+)\)/g,
      (_, i, line, col) => {
        const b = files[Number(i)].block;
        return `${b.file}:${b.line + Number(line)}:${col}`;
      },
    );
    assert.equal(result.status, 0, `tsc failed:\n${mapped}`);
    for (const f of files) handled.add(f.block);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("no snippet escapes: each is run, type-checked, or marked `<!-- not run: reason -->`", (t) => {
  const skipped = allBlocks.filter((b) => b.skip !== null);
  const escaped = [...shellBlocks, ...tsBlocks].filter((b) => b.skip === null && !handled.has(b));
  assert.deepEqual(
    escaped.map(where),
    [],
    "these snippets were neither run nor type-checked (did an earlier test fail?)",
  );
  const unchecked = allBlocks.filter((b) => UNCHECKED_CODE.has(b.lang) && b.skip === null);
  assert.deepEqual(
    unchecked.map(where),
    [],
    "write these as ```ts so they are type-checked, or mark them `<!-- not run: … -->`",
  );
  for (const b of skipped)
    assert.ok(
      SHELL.has(b.lang) || TYPESCRIPT.has(b.lang) || UNCHECKED_CODE.has(b.lang),
      `${where(b)}: a \`not run\` marker on a \`${b.lang || "plain"}\` block, which is never run`,
    );
  const dangling = [...parsed.values()].flatMap((p) => p.dangling);
  assert.deepEqual(
    dangling.map((d) => `${d.file}:${d.line}`),
    [],
    "a `not run` marker must be right before a fence",
  );
  const ran = shellBlocks.filter((b) => handled.has(b)).length;
  const checked = tsBlocks.filter((b) => handled.has(b)).length;
  t.diagnostic(`${ran} shell snippets run, ${checked} TypeScript snippets type-checked`);
  for (const b of skipped) t.diagnostic(`not run: ${where(b)} (${b.skip})`);
});

// ---------------------------------------------------------------------------------------------
// Links and anchors.

/** GitHub's heading slug: lower-cased, punctuation dropped, each space a hyphen. */
function slug(heading) {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "")
    .replace(/`/g, "")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

const anchorCache = new Map();
function anchorsOf(file) {
  if (anchorCache.has(file)) return anchorCache.get(file);
  const { prose } = parsed.get(file) ?? parse(file);
  const anchors = new Set();
  const seen = new Map();
  for (const { text } of prose) {
    const h = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(text);
    if (h) {
      const base = slug(h[1]);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]);
  }
  anchorCache.set(file, anchors);
  return anchors;
}

test("every relative link names a file in the repository, and every #anchor a heading or <a id>", () => {
  const broken = [];
  let count = 0;
  for (const [file, { prose }] of parsed) {
    for (const { text, line } of prose) {
      const plain = text.replace(/`[^`]*`/g, (s) => " ".repeat(s.length));
      for (const m of plain.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
        const target = m[1];
        if (/^(https?:|mailto:)/.test(target)) continue;
        count++;
        const [rel, anchor] = target.split("#");
        const resolved =
          rel === "" ? path.join(root, file) : path.resolve(root, path.dirname(file), rel);
        const inRepo = path.relative(root, resolved);
        if (inRepo.startsWith("..") || path.isAbsolute(inRepo)) {
          broken.push(`${file}:${line}: ${target} points outside the repository`);
          continue;
        }
        if (!existsSync(resolved)) {
          broken.push(`${file}:${line}: ${target}: no such file`);
          continue;
        }
        if (anchor !== undefined && resolved.endsWith(".md") && statSync(resolved).isFile()) {
          if (!anchorsOf(inRepo).has(anchor))
            broken.push(`${file}:${line}: ${target}: no heading or <a id> \`${anchor}\``);
        }
      }
    }
  }
  assert.deepEqual(broken, []);
  assert.ok(count > 20, `only ${count} relative links found: is the link pattern broken?`);
});

test("docs/rules.md has the stable anchors #r1 … #r17, each right before its rule's heading", () => {
  const lines = readFileSync(path.join(root, "docs/rules.md"), "utf8").split("\n");
  for (let n = 1; n <= 17; n++) {
    const at = lines.indexOf(`<a id="r${n}"></a>`);
    assert.ok(at >= 0, `no <a id="r${n}"></a>`);
    assert.match(
      lines[at + 1] ?? "",
      new RegExp(`^#{2,3} R${n} `),
      `#r${n} is not before R${n}'s heading`,
    );
  }
});

test("the README is an entry page: at most 12 KB, and it links nothing outside the repository", () => {
  const size = statSync(path.join(root, "README.md")).size;
  assert.ok(size <= 12 * 1024, `README.md is ${size} bytes`);
  assert.doesNotMatch(readFileSync(path.join(root, "README.md"), "utf8"), /\.\.\/shared\//);
});

// ---------------------------------------------------------------------------------------------
// Measured numbers are generated.

const GENERATED = /^<!-- generated by: (.+?) \((.*)\) -->$/;
const END = "<!-- end generated -->";

/** The blocks of docs/performance.md ({command, note, body}); throws on a table outside one. */
function performanceBlocks() {
  const lines = readFileSync(path.join(root, "docs/performance.md"), "utf8").split("\n");
  const blocks = [];
  let open = null;
  lines.forEach((line, i) => {
    const g = GENERATED.exec(line);
    if (g) {
      assert.equal(open, null, `performance.md:${i + 1}: a block opens inside another`);
      open = { command: g[1], note: g[2], body: [], line: i + 1 };
    } else if (line === END) {
      assert.ok(open, `performance.md:${i + 1}: \`${END}\` without a block`);
      blocks.push(open);
      open = null;
    } else if (open) open.body.push(line);
    else
      assert.doesNotMatch(
        line,
        /^\s*\|/,
        `performance.md:${i + 1}: a table outside the markers a benchmark script writes`,
      );
  });
  assert.equal(open, null, "a generated block is never closed");
  return blocks;
}

/** The script a block's command runs: `npm run <name> -- --write-docs` or `node scripts/… --write-docs`. */
function scriptOf(command) {
  const npm = /^npm run (\S+) -- --write-docs$/.exec(command);
  if (npm) {
    const scripts = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).scripts;
    const line = scripts[npm[1]];
    assert.ok(line, `package.json has no script \`${npm[1]}\``);
    return [...line.matchAll(/node (scripts\/\S+\.mjs)/g)].at(-1)?.[1];
  }
  return /^node (scripts\/\S+\.mjs)(?: \S+)* --write-docs$/.exec(command)?.[1];
}

test("every table in docs/performance.md was written by a bench script's --write-docs mode", () => {
  const blocks = performanceBlocks();
  assert.ok(blocks.length >= 4, "performance.md has too few generated blocks");
  const benches = readdirSync(path.join(root, "scripts")).filter((f) => /^bench.*\.mjs$/.test(f));
  const written = new Set();
  for (const b of blocks) {
    const script = scriptOf(b.command);
    assert.ok(
      script,
      `performance.md:${b.line}: \`${b.command}\` is not a bench script's --write-docs run`,
    );
    const source = readFileSync(path.join(root, script), "utf8");
    assert.ok(
      source.includes("writeDocsBlock(") && source.includes(`"${b.command}"`),
      `${script} does not write the block \`${b.command}\``,
    );
    assert.ok(
      b.body.some((l) => /^\|.*\|$/.test(l)),
      `performance.md:${b.line}: the block of \`${b.command}\` holds no table: run it`,
    );
    assert.match(b.note, /^\d{4}-\d{2}-\d{2}, /, `performance.md:${b.line}: no date in the header`);
    written.add(script);
  }
  for (const f of benches)
    assert.ok(written.has(`scripts/${f}`), `scripts/${f} writes no block of performance.md`);
});

test("--write-docs replaces exactly its own block (scripts/write-docs.mjs)", async () => {
  const { replaceBlock, markdownTable } = await import(path.join(root, "scripts/write-docs.mjs"));
  const text = [
    "before",
    "<!-- generated by: npm run a -- --write-docs (old) -->",
    "| x |",
    END,
    "<!-- generated by: npm run b -- --write-docs (old) -->",
    "| y |",
    END,
    "after",
  ].join("\n");
  const table = markdownTable([{ k: 1, v: "two" }]);
  assert.equal(table, "| k | v |\n| --- | --- |\n| 1 | two |\n");
  assert.equal(
    replaceBlock(text, "npm run b -- --write-docs", "new", table),
    text.replace("(old) -->\n| y |", "(new) -->\n| k | v |\n| --- | --- |\n| 1 | two |"),
  );
  assert.throws(() => replaceBlock(text, "npm run c -- --write-docs", "new", table), /no block/);
});
