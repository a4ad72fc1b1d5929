// One Durable Object store in a real workerd (miniflare) that several OS
// processes share over HTTP (fixtures/durable-store-http-worker.mjs), and
// the Store those processes use to reach it.
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { root } from "./helpers.mjs";
import { storeHostWorker } from "./stores.mjs";

/**
 * Starts workerd on 127.0.0.1 (port 0) with a fresh object; `url` takes the Store calls. The
 * object's DurableObjectStore is bundled from the source alone, so the test depends on nothing
 * else of the Worker.
 */
export async function startDurableObjectStore() {
  const dir = mkdtempSync(path.join(tmpdir(), "seatcap-do-store-"));
  const { build } = await import("esbuild");
  await build({
    entryPoints: [path.join(root, "js/src/cloudflare/durable-store.ts")],
    outfile: path.join(dir, "durable-store.mjs"),
    bundle: true,
    format: "esm",
    platform: "neutral",
    logLevel: "warning",
  });
  copyFileSync(
    path.join(import.meta.dirname, "fixtures/durable-store-http-worker.mjs"),
    path.join(dir, "worker.mjs"),
  );
  const mf = await storeHostWorker({
    scriptPath: path.join(dir, "worker.mjs"),
    modulesRoot: dir,
    modulesRules: [{ type: "ESModule", include: ["**/*.mjs"] }],
  });
  try {
    const url = (await mf.ready).href;
    return {
      url,
      store: httpStore(url),
      close: async () => {
        await mf.dispose();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await mf.dispose();
    throw e;
  }
}

/** The SPEC Store calls, each a `POST` to the object (JSON array of arguments in, JSON answer out). */
export function httpStore(base) {
  const call = async (method, args) => {
    const res = await fetch(new URL(method, base), { method: "POST", body: JSON.stringify(args) });
    if (!res.ok) throw new Error(`the Durable Object answered ${res.status}: ${await res.text()}`);
    return res.json();
  };
  return {
    get: (keys) => call("get", [keys]),
    list: (prefix, after, limit) => call("list", [prefix, after ?? null, limit ?? null]),
    commit: (tx) => call("commit", [tx]),
  };
}
