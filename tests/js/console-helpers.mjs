// Shared by the console's browser tests (simulator and admin halves):
// the built console (dist/www) served on 127.0.0.1, Debian's Chromium kept
// off the network (helpers.mjs), a page opened at a route, and screenshots
// saved to .artifacts/console/<name>.png for people to look at.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { launchChromium, root } from "./helpers.mjs";

export { launchChromium, root };

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
  ".json": "application/json", ".wasm": "application/wasm", ".map": "application/json", ".png": "image/png", ".svg": "image/svg+xml",
};

/**
 * Serves the repository read-only on 127.0.0.1 with the right content types
 * (browsers refuse a stylesheet served as anything but text/css).
 * The console is at `${url}/dist/www/index.html`.
 */
export async function startConsoleServer() {
  const index = path.join(root, "dist/www/index.html");
  if (!existsSync(index)) throw new Error("dist/www is missing: run `node scripts/build.mjs` first");
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/favicon.ico") {
      // The console has no icon; answering keeps the browser's console free of a 404 error.
      res.writeHead(204);
      res.end();
      return;
    }
    const file = path.join(root, path.normalize(decodeURIComponent(url.pathname)));
    if (!file.startsWith(root + path.sep) || !existsSync(file)) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
    res.end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  const url = `http://127.0.0.1:${port}`;
  return { url, consoleUrl: `${url}/dist/www/index.html`, close: () => new Promise((resolve) => server.close(resolve)) };
}

/**
 * A new page at `${base}${hash}` with a viewport (default 1280×800). Page
 * errors and console errors are collected in `errors`, so a test can assert
 * none happened.
 */
export async function openConsole(context, base, hash = "", viewport = { width: 1280, height: 800 }) {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  const errors = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  await page.goto(`${base}${hash}`);
  return { page, errors };
}

/** Saves a screenshot of the whole page to .artifacts/console/<name>.png and returns its path. */
export async function screenshot(page, name, options = {}) {
  const dir = path.join(root, ".artifacts/console");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, ...options });
  return file;
}
