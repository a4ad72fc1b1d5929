// The SQL of the stores kept in SQLite — a file through better-sqlite3
// (SqliteStore) and a Durable Object's own database (DurableObjectStore):
// one schema and one set of statements, so both keep the same layout.
//
//   CREATE TABLE <table> (key TEXT PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;
//   CREATE TABLE <table>_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
// Versions come from one counter in <table>_meta, so a key deleted and
// written again never repeats a version an engine may still expect.
import { prefixEnd } from "./store.js";

export function sqliteStatements(table: string) {
  return {
    schema: `CREATE TABLE IF NOT EXISTS ${table} (key TEXT PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;
       CREATE TABLE IF NOT EXISTS ${table}_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
       INSERT OR IGNORE INTO ${table}_meta (name, value) VALUES ('version', 0);`,
    /** Any number of keys in one statement: the key list travels as one JSON parameter. */
    get: `SELECT t.key AS key, t.value AS value, t.version AS version FROM json_each(?) j JOIN ${table} t ON t.key = j.value`,
    version: `SELECT version FROM ${table} WHERE key = ?`,
    bump: `UPDATE ${table}_meta SET value = value + 1 WHERE name = 'version' RETURNING value`,
    put: `INSERT INTO ${table} (key, value, version) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version`,
    del: `DELETE FROM ${table} WHERE key = ?`,
    /** `list` under a prefix: parameters from `listQuery`. */
    range: `SELECT key, value, version FROM ${table} WHERE key > ? AND key >= ? AND key < ? ORDER BY key LIMIT ?`,
    /** `list` under a prefix with no upper bound (`prefixEnd` is null): parameters from `listQuery`. */
    from: `SELECT key, value, version FROM ${table} WHERE key > ? AND key >= ? ORDER BY key LIMIT ?`,
  };
}

/** Which `list` statement to run and its parameters; SQLite's `LIMIT -1` means no limit. */
export function listQuery(
  prefix: string,
  after?: string,
  limit?: number,
): { bounded: boolean; params: (string | number)[] } {
  const end = prefixEnd(prefix);
  const n = limit === undefined || !Number.isFinite(limit) ? -1 : Math.max(0, Math.floor(limit));
  const lowest = after ?? "";
  return end === null
    ? { bounded: false, params: [lowest, prefix, n] }
    : { bounded: true, params: [lowest, prefix, end, n] };
}
