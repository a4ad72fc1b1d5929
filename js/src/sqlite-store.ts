// A Store in one SQLite file through better-sqlite3 (major version 12),
// shared safely by any number of processes: WAL, and each commit one
// `BEGIN IMMEDIATE` transaction that checks every expected version first.
//
// Schema (created on first use):
//   CREATE TABLE <table> (key TEXT PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;
//   CREATE TABLE <table>_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
// Versions come from one counter in <table>_meta, so a key deleted and
// written again never repeats a version an engine may still expect.
import { prefixEnd, type Commit, type Entry, type Store, type Versioned } from "./store.js";

/** The part of a better-sqlite3 `Database` this store uses. */
export interface SqliteDatabase {
  pragma(source: string): unknown;
  exec(source: string): unknown;
  prepare(source: string): SqliteStatement;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): { (...args: A): R; immediate(...args: A): R };
  close(): unknown;
}
interface SqliteStatement {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

export interface SqliteStoreOptions {
  /** Table name (default `seatcap_kv`). */
  table?: string;
  /** Milliseconds a commit waits for another process's write lock (default 5000). */
  busyTimeoutMs?: number;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Thrown inside the commit transaction to roll it back when an expectation fails. */
class Lost extends Error {}

export class SqliteStore implements Store {
  readonly db: SqliteDatabase;
  readonly #get: SqliteStatement;
  readonly #version: SqliteStatement;
  readonly #bump: SqliteStatement;
  readonly #put: SqliteStatement;
  readonly #del: SqliteStatement;
  readonly #range: SqliteStatement;
  readonly #from: SqliteStatement;
  readonly #read: (keys: string[]) => (Versioned | null)[];
  readonly #commit: { immediate(tx: Commit): void };

  /** Opens (creating if needed) the database file at `path`; the optional peer dependency better-sqlite3 must be installed. */
  static async open(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    const driver = "better-sqlite3"; // a variable, so bundlers leave the optional driver alone
    const module = (await import(driver)) as { default: new (path: string) => SqliteDatabase };
    return new SqliteStore(new module.default(path), options);
  }

  constructor(db: SqliteDatabase, options: SqliteStoreOptions = {}) {
    const table = options.table ?? "seatcap_kv";
    if (!NAME.test(table)) throw new TypeError(`table: \`${table}\` is not a plain SQL identifier`);
    this.db = db;
    db.pragma("journal_mode = WAL");
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    db.pragma("synchronous = NORMAL");
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${table} (key TEXT PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;
       CREATE TABLE IF NOT EXISTS ${table}_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
       INSERT OR IGNORE INTO ${table}_meta (name, value) VALUES ('version', 0);`,
    );
    // One statement for any number of keys: the key list travels as JSON.
    this.#get = db.prepare(`SELECT t.key AS key, t.value AS value, t.version AS version FROM json_each(?) j JOIN ${table} t ON t.key = j.value`);
    this.#version = db.prepare(`SELECT version FROM ${table} WHERE key = ?`);
    this.#bump = db.prepare(`UPDATE ${table}_meta SET value = value + 1 WHERE name = 'version' RETURNING value`);
    this.#put = db.prepare(
      `INSERT INTO ${table} (key, value, version) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version`,
    );
    this.#del = db.prepare(`DELETE FROM ${table} WHERE key = ?`);
    this.#range = db.prepare(`SELECT key, value FROM ${table} WHERE key > ? AND key >= ? AND key < ? ORDER BY key LIMIT ?`);
    this.#from = db.prepare(`SELECT key, value FROM ${table} WHERE key > ? AND key >= ? ORDER BY key LIMIT ?`);
    // A read transaction: all keys from one snapshot.
    this.#read = db.transaction((keys: string[]) => {
      const found = new Map<string, Versioned>();
      for (const row of this.#get.all(JSON.stringify(keys)) as { key: string; value: string; version: number }[]) {
        found.set(row.key, { value: row.value, version: Number(row.version) });
      }
      return keys.map((k) => found.get(k) ?? null);
    });
    this.#commit = db.transaction((tx: Commit) => {
      for (const { key, version } of tx.expect) {
        const row = this.#version.get(key) as { version: number } | undefined;
        if ((row === undefined ? null : Number(row.version)) !== version) throw new Lost();
      }
      if (tx.put.length === 0 && tx.del.length === 0) return;
      const { value: version } = this.#bump.get() as { value: number };
      for (const { key, value } of tx.put) this.#put.run(key, value, version);
      for (const key of tx.del) this.#del.run(key);
    });
  }

  get(keys: string[]): (Versioned | null)[] {
    return this.#read(keys);
  }

  list(prefix: string, after?: string, limit?: number): Entry[] {
    const end = prefixEnd(prefix);
    // SQLite's `LIMIT -1` means no limit.
    const n = limit === undefined || !Number.isFinite(limit) ? -1 : Math.max(0, Math.floor(limit));
    const lowest = after ?? "";
    const rows = end === null ? this.#from.all(lowest, prefix, n) : this.#range.all(lowest, prefix, end, n);
    return (rows as Entry[]).map((r) => ({ key: r.key, value: r.value }));
  }

  commit(tx: Commit): boolean {
    try {
      this.#commit.immediate(tx);
      return true;
    } catch (e) {
      if (e instanceof Lost) return false;
      // Another process held the write lock past the busy timeout: a lost race, retried by the engine.
      if ((e as { code?: string }).code === "SQLITE_BUSY") return false;
      throw e;
    }
  }

  close(): void {
    this.db.close();
  }
}
