// `seatcap/cloudflare`: the edge server as a Cloudflare Worker with one
// SeatLedger Durable Object per licence. A Worker's main module can be just
//   export { default, SeatLedger } from "seatcap/cloudflare";
import { createWorker } from "./worker.js";

export { SeatLedger } from "./ledger.js";
export { DurableObjectStore } from "./durable-store.js";
export { remoteEngine, isEngineCall } from "../server/remote-engine.js";
export type { EngineTransport } from "../server/remote-engine.js";
export { createWorker, workerForward } from "./worker.js";
export type { WorkerEnv, WorkerOptions, Worker, SeatLedgerStub } from "./worker.js";
export type {
  DurableObjectStorage,
  DurableObjectState,
  SqlStorage,
  DurableObjectNamespace,
} from "./workers.js";

/** The Worker configured from its bindings alone. */
export default createWorker();
