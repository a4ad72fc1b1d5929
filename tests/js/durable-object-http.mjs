// One Durable Object that owns a ledger, in a real workerd (miniflare), which
// several OS processes share over HTTP (fixtures/ledger-http-worker.mjs): the
// Engine calls they send it, and the Store they read it through.
import path from "node:path";
import { root } from "./helpers.mjs";
import { remoteEngine } from "../../dist/server.mjs";
import { storeHostWorker } from "./stores.mjs";

/**
 * Starts workerd with one Durable Object that owns the ledger and runs Engine calls itself
 * (fixtures/ledger-http-worker.mjs, over the built package): `url` takes the Store calls and
 * `POST /run`.
 */
export async function startDurableObjectLedger() {
  // Listed, not found by following imports: miniflare refuses the `import(name)` of an optional
  // peer dependency that the package's workerd entry keeps (SqliteStore.open), never run here.
  const modules = [
    { type: "ESModule", path: path.join(import.meta.dirname, "fixtures/ledger-http-worker.mjs") },
    { type: "ESModule", path: path.join(root, "dist/workerd.mjs") },
    { type: "ESModule", path: path.join(root, "dist/cloudflare.mjs") },
    { type: "CompiledWasm", path: path.join(root, "dist/seatcap_bg.wasm") },
  ];
  const mf = await storeHostWorker({ modules, modulesRoot: root });
  try {
    const url = (await mf.ready).href;
    return { url, store: httpStore(url), close: () => mf.dispose() };
  } catch (e) {
    await mf.dispose();
    throw e;
  }
}

/** An Engine whose calls run inside that object (`POST /run`), each under the request id `id()` answers. */
export function ledgerEngine(base, id) {
  return remoteEngine(async (_actor, call, args) => {
    const res = await fetch(new URL("run", base), {
      method: "POST",
      body: JSON.stringify([id(), call, args]),
    });
    if (!res.ok) throw new Error(`the Durable Object answered ${res.status}: ${await res.text()}`);
    return res.json();
  });
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
