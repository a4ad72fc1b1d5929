// The SPEC Store over a SQLite-backed Durable Object's own database
// (`ctx.storage.sql`). Every call is synchronous: the object runs one event
// at a time and SQL calls never yield, so a whole read–decide–commit runs
// without another request in between, and each commit is one
// `transactionSync`. The schema is SqliteStore's (one table of versioned
// keys, versions from one counter), so a key deleted and written again never
// repeats a version.
import { prefixEnd, type Commit, type Entry, type Store, type Versioned } from "../store.js";
import type { DurableObjectStorage, SqlStorage } from "./workers.js";

const TABLE = "seatcap_kv";

export class DurableObjectStore implements Store {
  readonly #storage: DurableObjectStorage;
  readonly #sql: SqlStorage;

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
    this.#sql = storage.sql;
    this.#sql.exec(
      `CREATE TABLE IF NOT EXISTS ${TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;
       CREATE TABLE IF NOT EXISTS ${TABLE}_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
       INSERT OR IGNORE INTO ${TABLE}_meta (name, value) VALUES ('version', 0);`,
    );
  }

  get(keys: string[]): (Versioned | null)[] {
    if (keys.length === 0) return [];
    // One statement for any number of keys (a Durable Object allows 100 bound values): the list travels as JSON.
    const rows = this.#sql
      .exec<{ key: string; value: string; version: number }>(
        `SELECT t.key AS key, t.value AS value, t.version AS version FROM json_each(?) j JOIN ${TABLE} t ON t.key = j.value`,
        JSON.stringify(keys),
      )
      .toArray();
    const found = new Map(rows.map((r) => [r.key, { value: r.value, version: Number(r.version) }]));
    return keys.map((k) => found.get(k) ?? null);
  }

  list(prefix: string, after = "", limit = 1000): Entry[] {
    const end = prefixEnd(prefix);
    const take = Math.max(0, Math.floor(limit));
    const rows =
      end === null
        ? this.#sql.exec<{ key: string; value: string }>(`SELECT key, value FROM ${TABLE} WHERE key > ? AND key >= ? ORDER BY key LIMIT ?`, after, prefix, take)
        : this.#sql.exec<{ key: string; value: string }>(
            `SELECT key, value FROM ${TABLE} WHERE key > ? AND key >= ? AND key < ? ORDER BY key LIMIT ?`,
            after, prefix, end, take,
          );
    return rows.toArray().map((r) => ({ key: r.key, value: r.value }));
  }

  commit(tx: Commit): boolean {
    return this.#storage.transactionSync(() => {
      // Every expectation is checked before anything is written, so a refusal has nothing to roll back.
      for (const { key, version } of tx.expect) {
        const row = this.#sql.exec<{ version: number }>(`SELECT version FROM ${TABLE} WHERE key = ?`, key).toArray()[0];
        if ((row === undefined ? null : Number(row.version)) !== version) return false;
      }
      if (tx.put.length === 0 && tx.del.length === 0) return true;
      const version = Number(this.#sql.exec<{ value: number }>(`UPDATE ${TABLE}_meta SET value = value + 1 WHERE name = 'version' RETURNING value`).one().value);
      for (const { key, value } of tx.put) {
        this.#sql.exec(
          `INSERT INTO ${TABLE} (key, value, version) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version`,
          key, value, version,
        );
      }
      for (const key of tx.del) this.#sql.exec(`DELETE FROM ${TABLE} WHERE key = ?`, key);
      return true;
    });
  }
}
