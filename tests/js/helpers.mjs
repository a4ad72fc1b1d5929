// Shared by the JavaScript tests: the conformance cases, a static server on
// 127.0.0.1 and Debian's Chromium driven by playwright-core.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";

export const root = path.resolve(import.meta.dirname, "../..");

/** Every tests/conformance/*.json: {name, rule, description, scenario, outcome}. */
export function conformanceCases() {
  const dir = path.join(root, "tests/conformance");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => ({
      name: f.replace(/\.json$/, ""),
      ...JSON.parse(readFileSync(path.join(dir, f), "utf8")),
    }));
}

/** tests/invalid-scenarios.json: scenarios rejected as a whole, with their one-line error. */
export function invalidScenarios() {
  return JSON.parse(readFileSync(path.join(root, "tests/invalid-scenarios.json"), "utf8"));
}

/** The text a case's `scenario` stands for (a string holds raw, non-JSON text). */
export function scenarioText(scenario) {
  return typeof scenario === "string" ? scenario : JSON.stringify(scenario);
}

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".css": "text/css",
  ".json": "application/json",
  ".map": "application/json",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

/**
 * Serves `dir` (default: the repository) read-only on 127.0.0.1, with the
 * content types browsers insist on (a stylesheet must be text/css). `/` is
 * the directory's index.html, or an empty page when it has none.
 */
export async function startStaticServer({ dir = root } = {}) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const file = path.join(
      dir,
      path.normalize(decodeURIComponent(url.pathname === "/" ? "/index.html" : url.pathname)),
    );
    if (url.pathname === "/" && !existsSync(file)) {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<!doctype html><meta charset=utf-8><title>seatcap tests</title>");
      return;
    }
    if (!file.startsWith(dir + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, {
      "content-type": TYPES[path.extname(file)] ?? "application/octet-stream",
      "cache-control": "no-store",
    });
    res.end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Debian's Chromium; SEATCAP_CHROMIUM points elsewhere. */
export const CHROMIUM = process.env.SEATCAP_CHROMIUM || "/usr/bin/chromium";

/** Headless Chromium kept off the network (flags from shared/TOOLCHAIN.md). */
export async function launchChromium() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: run \`bash scripts/setup.sh test\` (npm test does) to install Debian's chromium`,
    );
  }
  const { chromium } = await import("playwright-core");
  const profile = mkdtempSync(path.join(tmpdir(), "seatcap-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** `openssl` arguments for a self-signed EC certificate for 127.0.0.1, valid two days. */
export function selfSignedCertArgs({ key, cert, cn }) {
  return [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "2",
    "-subj",
    `/CN=${cn}`,
    "-addext",
    "subjectAltName=IP:127.0.0.1",
  ];
}
