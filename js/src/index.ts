// The public surface, identical from every entry (node, browser, workerd).
export { init, simulate, validateScenario, explain, version } from "./core.js";
export { Engine } from "./engine.js";
export type { EngineOptions, ConnectResult, ConnectFailure, WriteResult, Read, Page, CappedAccount, CreateOptions, Time } from "./engine.js";
export { MemoryStore } from "./memory-store.js";
export type { Store, Versioned, Entry, Commit } from "./store.js";
export type * from "./types.js";
