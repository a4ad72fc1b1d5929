// The public surface, identical from every entry (node, browser, workerd).
export {
  init,
  simulate,
  validateScenario,
  explain,
  version,
  verifyLicence,
  licenceMessage,
  parseTime,
} from "./core.js";
export { Engine } from "./engine.js";
export type { EngineApi, EngineCall } from "./engine-calls.js";
export type {
  EngineOptions,
  ConnectResult,
  ConnectFailure,
  WriteResult,
  Read,
  Page,
  CappedAccount,
  CreateOptions,
  Time,
  LicenceUploadOptions,
  LicenceTrust,
} from "./engine.js";
export { MemoryStore } from "./memory-store.js";
export type { Store, Versioned, Entry, Commit } from "./store.js";
// Stores over SQL drivers the host passes in (optional peer dependencies: nothing is loaded until used).
export { SqliteStore } from "./sqlite-store.js";
export type { SqliteDatabase, SqliteStoreOptions } from "./sqlite-store.js";
export { PostgresStore } from "./postgres-store.js";
export type { PgPool, PgQueryable, PostgresStoreOptions } from "./postgres-store.js";
export type * from "./types.js";
