// The engine worker: the wasm runs here, never on the page's thread.
// Messages in: { id, kind, input }. Out: progress, then done or failed
// (see engine-client.ts). Each job kind is a function of its input.
import { init, simulate, explain } from "../../../js/src/web.js";
import type { JobMessage, Progress } from "../engine-client.js";
import { simJobs } from "./jobs.js";

// biome-ignore lint/suspicious/noExplicitAny: each job checks its own input; the message is untyped
type Job = (input: any, progress: (p: Progress) => void) => unknown;

const jobs: Record<string, Job> = {
  /** `{ scenario }` → the SimulateResult of the package's `simulate`. */
  simulate: (input: { scenario: unknown }) => simulate(input.scenario as never),
  /** `{ scenario, account, feature }` → the package's `explain`. */
  explain: (input: { scenario: unknown; account: string; feature: string }) =>
    explain(input.scenario as never, input.account, input.feature),
  // The what-if simulator's own jobs (sim-run, sim-sizing, sim-compare, …): see jobs.ts.
  ...(simJobs as Record<string, Job>),
};

const post = (message: JobMessage) =>
  (self as unknown as { postMessage(m: JobMessage): void }).postMessage(message);

self.addEventListener("message", async (event: Event) => {
  const { id, kind, input } = (event as MessageEvent<{ id: number; kind: string; input: unknown }>)
    .data;
  try {
    await init();
    const job = jobs[kind];
    if (!job) throw new Error(`unknown job \`${kind}\``);
    const result = await job(input, (progress) => post({ id, kind: "progress", progress }));
    post({ id, kind: "done", result });
  } catch (e) {
    post({ id, kind: "failed", message: e instanceof Error ? e.message : String(e) });
  }
});
