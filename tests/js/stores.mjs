// The stores the engine tests run on: in memory, a SQLite file, a real
// PostgreSQL on 127.0.0.1 (SEATCAP_PG_URL), and the Cloudflare Durable
// Object store in a real workerd (miniflare), reached over RPC. Each test
// gets a fresh store.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { MemoryStore, PostgresStore, SqliteStore } from "../../dist/node.mjs";

export const PG_URL = process.env.SEATCAP_PG_URL || "postgres://root@127.0.0.1:5432/test";

let pgChecked;
/** Whether PostgreSQL answers. With CI=true its absence fails the run; elsewhere it is said loudly. */
export async function postgresAvailable() {
  pgChecked ??= (async () => {
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query("SELECT 1");
      return true;
    } catch (e) {
      if (process.env.CI === "true")
        throw new Error(`PostgreSQL at ${PG_URL} is required with CI=true: ${e.message}`);
      console.error(
        `\n!!! PostgreSQL at ${PG_URL} is not reachable (${e.message}): the PostgreSQL store tests did NOT run !!!\n`,
      );
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return pgChecked;
}

let tables = 0;
/** A table name no other run or test uses. */
export function uniqueTable() {
  return `seatcap_t${process.pid}_${Date.now().toString(36)}_${tables++}`;
}

/** Opens a fresh store of `kind`; `close()` removes what it made. */
export async function openStore(kind) {
  if (kind === "memory") return { store: new MemoryStore(), close: async () => {} };
  if (kind === "sqlite") {
    const dir = mkdtempSync(path.join(tmpdir(), "seatcap-sqlite-"));
    const store = await SqliteStore.open(path.join(dir, "seatcap.db"));
    return {
      store,
      file: path.join(dir, "seatcap.db"),
      close: async () => {
        store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  if (kind === "postgres") {
    const { default: pg } = await import("pg");
    const pool = new pg.Pool({ connectionString: PG_URL, max: 8 });
    const store = new PostgresStore(pool, { table: uniqueTable() });
    return {
      store,
      pool,
      close: async () => {
        await store.drop();
        await pool.end();
      },
    };
  }
  if (kind === "durable-object") return openDurableObjectStore();
  throw new Error(`unknown store ${kind}`);
}

/** The kinds to run: PostgreSQL only where it answers (see postgresAvailable). */
export async function storeKinds() {
  return [
    "memory",
    "sqlite",
    ...((await postgresAvailable()) ? ["postgres"] : []),
    "durable-object",
  ];
}

// One workerd for the open Durable Object stores (a fresh object each), stopped when the last closes.
let workerd;
let open = 0;
let objects = 0;

async function openDurableObjectStore() {
  open++;
  workerd ??= (async () => {
    const mf = await storeHostWorker({
      scriptPath: path.join(import.meta.dirname, "fixtures/durable-store-worker.mjs"),
      modulesRoot: path.resolve(import.meta.dirname, "../.."),
      modulesRules: [
        { type: "ESModule", include: ["**/*.mjs"] },
        { type: "CompiledWasm", include: ["**/*.wasm"] },
      ],
    });
    await mf.ready;
    return { mf, namespace: await mf.getDurableObjectNamespace("STORE") };
  })();
  const { namespace } = await workerd;
  const stub = namespace.get(namespace.idFromName(`store-${process.pid}-${objects++}`));
  return {
    store: {
      get: (keys) => stub.get(keys),
      list: (prefix, after, limit) => stub.list(prefix, after, limit),
      commit: (tx) => stub.commit(tx),
    },
    close: async () => {
      if (--open > 0) return;
      const running = workerd;
      workerd = undefined;
      await (await running).mf.dispose();
    },
  };
}

/**
 * A worker whose `StoreHost` Durable Object (SQLite-backed, binding STORE) holds a
 * DurableObjectStore, in workerd on 127.0.0.1: reached over RPC here, over HTTP from other
 * processes (durable-object-http.mjs).
 */
export async function storeHostWorker({ scriptPath, modulesRoot, modulesRules, modules = true }) {
  const { Miniflare } = await import("miniflare");
  return new Miniflare({
    modules,
    scriptPath,
    modulesRoot,
    modulesRules,
    compatibilityDate: "2026-04-01",
    durableObjects: { STORE: { className: "StoreHost", useSQLite: true } },
    host: "127.0.0.1",
    port: 0,
    cf: false,
    telemetry: { enabled: false },
  });
}
