// The engine thread's own code (see engine-thread.ts), bundled to
// dist/engine-thread.mjs: opens the store, then runs each Engine call it is
// sent, one message per call, and answers its result or the error it threw.
import { parentPort, workerData } from "node:worker_threads";
import { Engine, PostgresStore, SqliteStore } from "../node.js";
import type { EngineThreadOptions, ThreadMessage } from "./engine-thread.js";
import { runEngineCall } from "./remote-engine.js";

interface Call {
  id: number;
  actor: string | undefined;
  call: string;
  args: unknown[];
}

const port = parentPort!;
const options = workerData as EngineThreadOptions;
const post = (m: ThreadMessage) => port.postMessage(m);

async function open(): Promise<{ engine: Engine; close(): Promise<void> | void }> {
  const where = options.store;
  if (where.kind === "sqlite") {
    const store = await SqliteStore.open(where.file);
    return { engine: new Engine(store, { licence: options.licence }), close: () => store.close() };
  }
  const store = await PostgresStore.open(where.url, {
    table: where.table,
    ...(where.timeoutMs === undefined ? {} : { timeoutMs: where.timeoutMs }),
  });
  await store.ready();
  return { engine: new Engine(store, { licence: options.licence }), close: () => store.close() };
}

try {
  const { engine, close } = await open();
  port.on("message", async (m: Call | { close: true }) => {
    if ("close" in m) {
      await close();
      port.close();
      return;
    }
    try {
      post({ id: m.id, result: await runEngineCall(engine, m.actor, m.call, m.args) });
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      post({ id: m.id, error: { name: error.name, message: error.message } });
    }
  });
  post({ ready: true });
} catch (e) {
  post({ failed: e instanceof Error ? e.message : String(e) });
}
