// Shared by the console's browser tests (simulator and admin halves):
// the built console (dist/www) served on 127.0.0.1, Debian's Chromium kept
// off the network (helpers.mjs), a page opened at a route, and screenshots
// saved to .artifacts/console/<name>.png for people to look at.
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { launchChromium, root, startStaticServer } from "./helpers.mjs";

export { launchChromium, root };

/** The repository served on 127.0.0.1 (helpers.mjs); the console is at `${url}/dist/www/index.html`. */
export async function startConsoleServer() {
  if (!existsSync(path.join(root, "dist/www/index.html")))
    throw new Error("dist/www is missing: run `node scripts/build.mjs` first");
  const server = await startStaticServer();
  return { ...server, consoleUrl: `${server.url}/dist/www/index.html` };
}

/**
 * A new page at `${base}${hash}` with a viewport (default 1280×800). Page
 * errors and console errors are collected in `errors`, so a test can assert
 * none happened.
 */
export async function openConsole(
  context,
  base,
  hash = "",
  viewport = { width: 1280, height: 800 },
) {
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
