// The edge server's Engine on a thread of its own (Node): the HTTP event loop
// forwards each Engine call there and never runs the rules itself, so a
// request that costs the core much (the `at-cap` sweep over every account, an
// import or export of a large directory) does not stall the gateway's other
// requests, long-polls or `/v1/health`. Calls cross as structured clones
// (plain data, as Engine calls take and answer) through `remoteEngine`, the
// stub the Cloudflare Worker uses for its Durable Object.
import { Worker } from "node:worker_threads";
import type { EngineApi } from "../engine-calls.js";
import { remoteEngine } from "./remote-engine.js";

/** Where the thread opens its store, and which licences its Engine trusts. */
export interface EngineThreadOptions {
  store:
    | { kind: "sqlite"; file: string }
    | { kind: "postgres"; url: string; table: string; timeoutMs?: number };
  licence: { trustedKeys: string[]; devMode: boolean };
}

export interface EngineThreadHooks {
  /** Told when the thread ends other than by `close` (its calls in flight are refused). */
  onLost?: (error: Error) => void;
}

/** What the thread answers: the store is open, a call's result or error, or a startup failure. */
export type ThreadMessage =
  | { ready: true }
  | { failed: string }
  | { id: number; result: unknown }
  | { id: number; error: { name: string; message: string } };

export interface EngineThread {
  engine: EngineApi;
  /** Waits for the calls in flight, closes the thread's store and ends the thread. */
  close(): Promise<void>;
}

/** Errors an Engine throws (bad arguments), rebuilt on this side with their class. */
const ERRORS: Record<string, ErrorConstructor> = { TypeError, RangeError };

export async function startEngineThread(
  options: EngineThreadOptions,
  hooks: EngineThreadHooks = {},
): Promise<EngineThread> {
  const worker = new Worker(new URL("./engine-thread.mjs", import.meta.url), {
    workerData: options,
  });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let next = 0;
  let gone: Error | undefined;
  let started = false;
  let closing = false;
  const fail = (e: Error) => {
    if (gone) return;
    gone = e;
    for (const call of pending.values()) call.reject(e);
    pending.clear();
    if (started && !closing) hooks.onLost?.(e);
  };
  const ready = new Promise<void>((resolve, reject) => {
    worker.on("message", (m: ThreadMessage) => {
      if ("ready" in m) return resolve();
      if ("failed" in m) return reject(new Error(m.failed));
      const call = pending.get(m.id);
      if (!call) return;
      pending.delete(m.id);
      if ("error" in m) call.reject(new (ERRORS[m.error.name] ?? Error)(m.error.message));
      else call.resolve(m.result);
    });
    worker.once("error", (e) => {
      reject(e);
      fail(e);
    });
    worker.once("exit", (code) => {
      const e = new Error(`the engine thread ended (exit code ${code})`);
      reject(e);
      fail(e);
    });
  });
  await ready;
  started = true;
  const engine = remoteEngine(
    (actor, call, args) =>
      new Promise((resolve, reject) => {
        if (gone) return reject(gone);
        const id = next++;
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, actor, call, args });
      }),
  );
  return {
    engine,
    async close() {
      while (pending.size > 0 && !gone) await new Promise((r) => setTimeout(r, 10));
      if (gone) return;
      closing = true;
      const exited = new Promise((resolve) => worker.once("exit", resolve));
      worker.postMessage({ close: true });
      await exited;
    },
  };
}
