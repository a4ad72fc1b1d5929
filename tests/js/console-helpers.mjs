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

/** A link into the rules reference (www/src/ui/rules.ts): `rules.html#r<N>`. */
const RULES_LINK = 'a[href^="rules.html#"], a[href^="./rules.html#"]';

/**
 * The text on screen that reads like the contract rather than like the
 * console: a rule number (`R7`) or "SPEC" anywhere outside a link to the
 * rules page. Every rendered text node under <body> counts (visually hidden
 * captions too: screen readers read them), and so do placeholders, titles
 * and aria-labels. Returns the offending strings, each with the element it
 * sits in.
 */
export function ruleSpeak(page) {
  return page.evaluate((linkSelector) => {
    const bad = /\bR\d{1,2}\b|SPEC/;
    const found = [];
    const where = (el) =>
      `<${el.tagName.toLowerCase()}${el.className ? ` class="${el.className}"` : ""}>`;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!el || el.closest("script, style, template") || el.closest(linkSelector)) continue;
      if (!el.checkVisibility() && !el.closest(".visually-hidden")) continue;
      if (bad.test(node.data)) found.push(`${node.data.trim()} in ${where(el)}`);
    }
    for (const el of document.body.querySelectorAll("[placeholder], [title], [aria-label]")) {
      if (el.closest(linkSelector) || !el.checkVisibility()) continue;
      for (const name of ["placeholder", "title", "aria-label"]) {
        const value = el.getAttribute(name);
        if (value && bad.test(value)) found.push(`${name}="${value}" on ${where(el)}`);
      }
    }
    return found;
  }, RULES_LINK);
}

/** The rules links on screen: their resolved URLs and the rule numbers they name. */
export function ruleLinks(page) {
  return page.evaluate(
    (linkSelector) =>
      [...document.querySelectorAll(linkSelector)]
        .filter((a) => a.checkVisibility())
        .map((a) => ({ href: a.href, text: a.textContent.trim() })),
    RULES_LINK,
  );
}

/**
 * Every link in `links` resolves: the rules page answers 200 as HTML and has
 * the element the link's fragment names (opened in Chromium, so the page is
 * read as a browser reads it). Returns the ids checked.
 */
export async function checkRuleLinks(context, links, assert) {
  assert.ok(links.length > 0, "some rules link is on screen");
  const byPage = new Map();
  for (const { href } of links) {
    const url = new URL(href);
    assert.match(url.hash, /^#r\d{1,2}$/, `a rules link names one rule: ${href}`);
    url.hash = "";
    const ids = byPage.get(url.href) ?? new Set();
    ids.add(new URL(href).hash.slice(1));
    byPage.set(url.href, ids);
  }
  const checked = [];
  for (const [url, ids] of byPage) {
    const answer = await fetch(url);
    assert.equal(answer.status, 200, `${url} answers 200`);
    assert.match(answer.headers.get("content-type") ?? "", /text\/html/, `${url} is HTML`);
    const page = await context.newPage();
    await page.goto(url);
    const missing = await page.evaluate(
      (wanted) => wanted.filter((id) => !document.getElementById(id)),
      [...ids],
    );
    assert.deepEqual(missing, [], `${url} has every rule anchor the console links to`);
    // The page is the console's: its stylesheet, and a way back.
    assert.ok(await page.locator('link[rel="stylesheet"][href="./style.css"]').count());
    assert.ok(await page.locator('a[href="./index.html#/admin"]').count());
    await page.close();
    checked.push(...ids);
  }
  return checked.sort();
}
