// The names of an Engine's calls, apart from the Engine itself so that code
// which only forwards calls (the edge server, a Worker) loads no engine.
import type { Engine } from "./engine.js";

/**
 * Every request and read of an Engine, by name: what a host that runs the
 * engine somewhere else (a Cloudflare Durable Object) forwards, and what the
 * edge server's handler needs. `by` is not listed: it makes a view, not a call.
 */
export const ENGINE_CALLS = [
  "connect",
  "tryConnect",
  "peekConnect",
  "set",
  "createDomain",
  "createClass",
  "uploadLicence",
  "setLicence",
  "createAccount",
  "deleteAccount",
  "setType",
  "restoreCapped",
  "apply",
  "replay",
  "explain",
  "account",
  "seats",
  "capped",
  "waitlist",
  "directory",
  "licence",
  "accounts",
  "log",
  "exportScenario",
  "importScenario",
  "audit",
] as const;
export type EngineCall = (typeof ENGINE_CALLS)[number];

/** An Engine's calls wherever it runs: the Engine itself, or a stub that forwards each call (`remoteEngine`). */
export type EngineApi = Pick<Engine, EngineCall> & { by(actor: string): EngineApi };
