// The page's side of the engine worker (sim/worker.ts): every simulation runs
// off the main thread, so the page stays responsive at any size. A job
// reports progress and can be cancelled; cancelling terminates the worker
// (a wasm call can't be interrupted) and the next job starts a fresh one.

export interface Progress {
  /** What is running, for the progress label ("simulating", "sizing 3 of 12", …). */
  phase: string;
  done: number;
  total: number;
}

export type JobMessage =
  | { id: number; kind: "progress"; progress: Progress }
  | { id: number; kind: "done"; result: unknown }
  | { id: number; kind: "failed"; message: string };

export class Cancelled extends Error {
  constructor() {
    super("cancelled");
  }
}

let worker: Worker | undefined;
let nextId = 1;
const pending = new Map<
  number,
  { resolve: (v: unknown) => void; reject: (e: Error) => void; onProgress?: (p: Progress) => void }
>();

function start(): Worker {
  const w = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  w.onmessage = (event: MessageEvent<JobMessage>) => {
    const message = event.data;
    const job = pending.get(message.id);
    if (!job) return;
    if (message.kind === "progress") job.onProgress?.(message.progress);
    else {
      pending.delete(message.id);
      if (message.kind === "done") job.resolve(message.result);
      else job.reject(new Error(message.message));
    }
  };
  w.onerror = (event) => {
    for (const job of pending.values())
      job.reject(new Error(event.message || "the engine worker failed"));
    pending.clear();
    worker = undefined;
  };
  return w;
}

/**
 * Runs job `kind` in the engine worker. `signal` cancels it (the promise
 * rejects with `Cancelled`); `onProgress` hears its progress.
 */
export function runJob<T>(
  kind: string,
  input: unknown,
  options: { signal?: AbortSignal; onProgress?: (p: Progress) => void } = {},
): Promise<T> {
  worker ??= start();
  const id = nextId++;
  const w = worker;
  return new Promise<T>((resolve, reject) => {
    if (options.signal?.aborted) return reject(new Cancelled());
    pending.set(id, {
      resolve: resolve as (v: unknown) => void,
      reject,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    options.signal?.addEventListener("abort", () => {
      if (!pending.has(id)) return;
      // The wasm can't be interrupted: stop the worker, fail everything it was running.
      w.terminate();
      if (worker === w) worker = undefined;
      for (const [other, job] of pending) {
        job.reject(new Cancelled());
        pending.delete(other);
      }
    });
    w.postMessage({ id, kind, input });
  });
}
