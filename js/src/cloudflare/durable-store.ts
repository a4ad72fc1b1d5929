// The SPEC Store over a SQLite-backed Durable Object's own database
// (`ctx.storage.sql`). Every call is synchronous: the object runs one event
// at a time and SQL calls never yield, so a whole read–decide–commit runs
// without another request in between, and each commit is one
// `transactionSync`. Schema and statements are SqliteStore's
// (sqlite-sql.ts); a Durable Object binds at most 100 values per query, and
// `get` binds one (the key list as JSON).
import { listQuery, sqliteStatements } from "../sqlite-sql.js";
import type { Commit, Entry, Store, Versioned } from "../store.js";
import type { DurableObjectStorage, SqlStorage } from "./workers.js";

const SQL = sqliteStatements("seatcap_kv");

export class DurableObjectStore implements Store {
  readonly #storage: DurableObjectStorage;
  readonly #sql: SqlStorage;

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
    this.#sql = storage.sql;
    this.#sql.exec(SQL.schema);
  }

  get(keys: string[]): (Versioned | null)[] {
    if (keys.length === 0) return [];
    const rows = this.#sql
      .exec<{ key: string; value: string; version: number }>(SQL.get, JSON.stringify(keys))
      .toArray();
    const found = new Map(rows.map((r) => [r.key, { value: r.value, version: Number(r.version) }]));
    return keys.map((k) => found.get(k) ?? null);
  }

  list(prefix: string, after?: string, limit?: number): Entry[] {
    const { bounded, params } = listQuery(prefix, after, limit);
    const rows = this.#sql
      .exec<{ key: string; value: string; version: number }>(
        bounded ? SQL.range : SQL.from,
        ...params,
      )
      .toArray();
    return rows.map((r) => ({ key: r.key, value: r.value, version: Number(r.version) }));
  }

  commit(tx: Commit): boolean {
    return this.#storage.transactionSync(() => {
      // Every expectation is checked before anything is written, so a refusal has nothing to roll back.
      for (const { key, version } of tx.expect) {
        const row = this.#sql.exec<{ version: number }>(SQL.version, key).toArray()[0];
        if ((row === undefined ? null : Number(row.version)) !== version) return false;
      }
      if (tx.put.length === 0 && tx.del.length === 0) return true;
      const version = Number(this.#sql.exec<{ value: number }>(SQL.bump).one().value);
      for (const { key, value } of tx.put) this.#sql.exec(SQL.put, key, value, version);
      for (const key of tx.del) this.#sql.exec(SQL.del, key);
      return true;
    });
  }
}
