// Shared by the packaging tests (pack.test.mjs, pack-hosts.test.mjs): the
// repository packed with `npm pack` as npm would publish it, and fresh
// consumer projects that install that tarball.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { root } from "./helpers.mjs";

/** One seat, two accounts asking for it: the first claims it, the second is capped. */
export const scenario = {
  licence: { features: { activesync: { seats: 1 } } },
  directory: {
    domains: { "d.com": { settings: { activesync: "enabled" } } },
    accounts: [{ id: "a@d.com" }, { id: "b@d.com" }],
  },
  events: [
    { op: "connect", account: "a@d.com", feature: "activesync" },
    { op: "connect", account: "b@d.com", feature: "activesync" },
  ],
};
export const expected = ["seat-claimed", "capped"];

export function npm(args, cwd) {
  return execFileSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd,
    encoding: "utf8",
  });
}

/**
 * `npm pack` of the repository (its dist/ as built) into a fresh temporary
 * folder. `info` is npm's own account of the tarball (`npm pack --json`):
 * `size` (packed bytes), `unpackedSize`, `entryCount`, `files`.
 */
export function packTarball(prefix = "seatcap-pack-") {
  const work = mkdtempSync(path.join(tmpdir(), prefix));
  const [info] = JSON.parse(npm(["pack", "--json", "--pack-destination", work], root));
  assert.ok(info?.filename?.endsWith(".tgz"), "npm pack wrote a tarball");
  return {
    work,
    tarball: path.join(work, info.filename),
    info,
    remove: () => rmSync(work, { recursive: true, force: true }),
  };
}

/** A fresh project `work/name` ("type": `type`) with the tarball installed as users would. */
export function installProject(work, tarball, name, type) {
  const dir = path.join(work, name);
  mkdirSync(dir);
  writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name, version: "1.0.0", private: true, type }, null, 2),
  );
  npm(["install", "--prefer-offline", tarball], dir);
  return dir;
}

/**
 * A Worker project has the runtime's types (@cloudflare/workers-types); this stands in for the one
 * module `seatcap/cloudflare`'s declarations import from them. Written into `dir` as a .d.ts.
 */
export function writeWorkersRuntimeTypes(dir) {
  writeFileSync(
    path.join(dir, "workers-runtime.d.ts"),
    `declare module "cloudflare:workers" {
  export abstract class DurableObject<Env = unknown> {
    protected ctx: unknown;
    protected env: Env;
    constructor(ctx: any, env: Env);
  }
}\n`,
  );
}
