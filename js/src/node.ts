// Node entry (ESM and, through esbuild, CJS): loads the wasm synchronously on import.
import { readFileSync } from "node:fs";
import * as glue from "../../pkg/seatcap.js";
import { useBindings } from "./core.js";

glue.initSync({ module: readFileSync(new URL("./seatcap_bg.wasm", import.meta.url)) });
useBindings(glue);

export * from "./index.js";
// Node-only stores; their drivers are optional peer dependencies, loaded only when used.
export { SqliteStore } from "./sqlite-store.js";
export type { SqliteDatabase, SqliteStoreOptions } from "./sqlite-store.js";
export { PostgresStore } from "./postgres-store.js";
export type { PgPool, PgQueryable, PostgresStoreOptions } from "./postgres-store.js";
