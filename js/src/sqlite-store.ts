// A Store in one SQLite file through better-sqlite3 (major version 12),
// shared safely by any number of processes: WAL, and each commit one
// `BEGIN IMMEDIATE` transaction that checks every expected version first.
// The schema (created on first use) and statements are in sqlite-sql.ts.
import { sqliteStatements, listQuery } from "./sqlite-sql.js";
import type { Commit, Entry, Store, Versioned } from "./store.js";

/** The part of a better-sqlite3 `Database` this store uses. */
export interface SqliteDatabase {
  pragma(source: string): unknown;
  exec(source: string): unknown;
  prepare(source: string): SqliteStatement;
  transaction<A extends unknown[], R>(
    fn: (...args: A) => R,
  ): { (...args: A): R; immediate(...args: A): R };
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
    // The busy timeout first: switching a new file to WAL takes a lock another process may hold.
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    const sql = sqliteStatements(table);
    db.exec(sql.schema);
    this.#get = db.prepare(sql.get);
    this.#version = db.prepare(sql.version);
    this.#bump = db.prepare(sql.bump);
    this.#put = db.prepare(sql.put);
    this.#del = db.prepare(sql.del);
    this.#range = db.prepare(sql.range);
    this.#from = db.prepare(sql.from);
    // A read transaction: all keys from one snapshot.
    this.#read = db.transaction((keys: string[]) => {
      const found = new Map<string, Versioned>();
      for (const row of this.#get.all(JSON.stringify(keys)) as {
        key: string;
        value: string;
        version: number;
      }[]) {
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
    const { bounded, params } = listQuery(prefix, after, limit);
    const rows = (bounded ? this.#range : this.#from).all(...params);
    return (rows as Required<Entry>[]).map((r) => ({
      key: r.key,
      value: r.value,
      version: Number(r.version),
    }));
  }

  commit(tx: Commit): boolean {
    try {
      this.#commit.immediate(tx);
      return true;
    } catch (e) {
      if (e instanceof Lost) return false;
      // Another process held the lock past the busy timeout (SQLITE_BUSY and its extended codes, or
      // SQLITE_LOCKED): a lost race, retried by the engine; nothing was written.
      if (/^SQLITE_(BUSY|LOCKED)/.test(String((e as { code?: unknown }).code))) return false;
      throw e;
    }
  }

  close(): void {
    this.db.close();
  }
}
