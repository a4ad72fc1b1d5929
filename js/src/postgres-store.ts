// A Store in PostgreSQL through `pg`: versioned rows, and each commit one
// SERIALIZABLE transaction that checks every expected version (an absent key
// too: serializable isolation catches a concurrent insert) and fails cleanly
// — `false`, nothing written — on a mismatch, a serialization failure or a
// deadlock.
//
// Schema (created on first use, under an advisory lock so racing processes
// create it once):
//   CREATE TABLE <table> (key text COLLATE "C" PRIMARY KEY, value text NOT NULL, version bigint NOT NULL);
//   CREATE SEQUENCE <table>_version;
// `COLLATE "C"` orders keys by byte, as the engine expects; versions come
// from the sequence, so they never repeat.
import { prefixEnd, type Commit, type Entry, type Store, type Versioned } from "./store.js";

/** The part of a `pg` client this store uses. */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}
/** The part of a `pg.Pool` this store uses. */
export interface PgPool extends PgQueryable {
  connect(): Promise<PgQueryable & { release(destroy?: boolean | Error): void }>;
}

export interface PostgresStoreOptions {
  /** Table name, optionally schema-qualified (default `seatcap_kv`). */
  table?: string;
}

const NAME = /^([a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,50}$/;
/** serialization_failure, deadlock_detected, unique_violation (a racing insert). */
const LOST_RACE = new Set(["40001", "40P01", "23505"]);

export class PostgresStore implements Store {
  readonly pool: PgPool;
  readonly #table: string;
  #ready: Promise<void> | undefined;

  constructor(pool: PgPool, options: PostgresStoreOptions = {}) {
    const table = options.table ?? "seatcap_kv";
    if (!NAME.test(table)) throw new TypeError(`table: \`${table}\` is not a plain lower-case SQL identifier`);
    this.pool = pool;
    this.#table = table;
  }

  /** The table this store keeps its keys in. */
  get table(): string {
    return this.#table;
  }

  /** Creates the table and sequence if they are missing; every method calls it first. */
  ready(): Promise<void> {
    this.#ready ??= this.#createSchema().catch((e: unknown) => {
      this.#ready = undefined;
      throw e;
    });
    return this.#ready;
  }

  async #createSchema(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`seatcap:${this.#table}`]);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.#table} (key text COLLATE "C" PRIMARY KEY, value text NOT NULL, version bigint NOT NULL)`,
      );
      await client.query(`CREATE SEQUENCE IF NOT EXISTS ${this.#table}_version`);
      await client.query("COMMIT");
      client.release();
    } catch (e) {
      await client.query("ROLLBACK").catch(() => {});
      client.release(true);
      throw e;
    }
  }

  async get(keys: string[]): Promise<(Versioned | null)[]> {
    await this.ready();
    // One statement: one snapshot.
    const { rows } = await this.pool.query(`SELECT key, value, version FROM ${this.#table} WHERE key = ANY($1::text[])`, [keys]);
    const found = new Map(rows.map((r) => [r.key as string, { value: r.value as string, version: Number(r.version) }]));
    return keys.map((k) => found.get(k) ?? null);
  }

  async list(prefix: string, after?: string, limit?: number): Promise<Entry[]> {
    await this.ready();
    // Only the bounds that apply, so the planner sees a plain range scan of the primary key.
    const where = ["key >= $1"];
    const values: unknown[] = [prefix];
    const end = prefixEnd(prefix);
    if (end !== null) where.push(`key < $${values.push(end)}`);
    if (after !== undefined) where.push(`key > $${values.push(after)}`);
    let sql = `SELECT key, value FROM ${this.#table} WHERE ${where.join(" AND ")} ORDER BY key`;
    if (limit !== undefined && Number.isFinite(limit)) sql += ` LIMIT $${values.push(Math.max(0, Math.floor(limit)))}`;
    const { rows } = await this.pool.query(sql, values);
    return rows.map((r) => ({ key: r.key as string, value: r.value as string }));
  }

  async commit(tx: Commit): Promise<boolean> {
    await this.ready();
    const client = await this.pool.connect();
    let broken: unknown;
    try {
      await client.query("BEGIN ISOLATION LEVEL SERIALIZABLE");
      const keys = [...new Set([...tx.expect.map((e) => e.key), ...tx.put.map((p) => p.key), ...tx.del])];
      const { rows } = await client.query(`SELECT key, version FROM ${this.#table} WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE`, [keys]);
      const current = new Map(rows.map((r) => [r.key as string, Number(r.version)]));
      if (!tx.expect.every((e) => (current.get(e.key) ?? null) === e.version)) {
        await client.query("ROLLBACK");
        return false;
      }
      if (tx.put.length > 0 || tx.del.length > 0) {
        const { rows: seq } = await client.query(`SELECT nextval('${this.#table}_version') AS v`);
        const version = seq[0]!.v;
        const updates = tx.put.filter((p) => current.has(p.key));
        const inserts = tx.put.filter((p) => !current.has(p.key));
        if (updates.length > 0) {
          await client.query(
            `UPDATE ${this.#table} t SET value = u.v, version = $3 FROM unnest($1::text[], $2::text[]) AS u(k, v) WHERE t.key = u.k`,
            [updates.map((p) => p.key), updates.map((p) => p.value), version],
          );
        }
        if (inserts.length > 0) {
          // A plain INSERT: a key someone else inserted meanwhile is a unique violation, a lost race.
          await client.query(
            `INSERT INTO ${this.#table} (key, value, version) SELECT k, v, $3 FROM unnest($1::text[], $2::text[]) AS u(k, v)`,
            [inserts.map((p) => p.key), inserts.map((p) => p.value), version],
          );
        }
        if (tx.del.length > 0) await client.query(`DELETE FROM ${this.#table} WHERE key = ANY($1::text[])`, [tx.del]);
      }
      await client.query("COMMIT");
      return true;
    } catch (e) {
      await client.query("ROLLBACK").catch((rollback: unknown) => {
        broken = rollback;
      });
      if (LOST_RACE.has((e as { code?: string }).code ?? "")) return false;
      throw e;
    } finally {
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  /** Drops the table and sequence (tests, teardown). */
  async drop(): Promise<void> {
    await this.pool.query(`DROP TABLE IF EXISTS ${this.#table}`);
    await this.pool.query(`DROP SEQUENCE IF EXISTS ${this.#table}_version`);
    this.#ready = undefined;
  }
}
