// A Store in PostgreSQL through `pg`: versioned rows, and each commit one
// transaction that first takes an advisory lock per key it names (in one
// order, so commits never deadlock), then checks every expected version and
// fails cleanly — `false`, nothing written — on a mismatch. The locks make
// commits on the same keys wait for each other instead of failing: an
// absent key can't be row-locked, and SERIALIZABLE (used before) failed
// commits that raced on nothing but an index page, which under 4 processes
// × 16 clients reached clients as `conflict`. A serialization failure, a
// deadlock or a racing insert (from a writer that takes no such locks) is
// still a lost race.
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
  connect(): Promise<PgClient>;
}
/** A client checked out of the pool; `on`/`off` (pg's EventEmitter) when the driver has them. */
export type PgClient = PgQueryable & {
  release(destroy?: boolean | Error): void;
  on?(event: "error", listener: (error: Error) => void): unknown;
  off?(event: "error", listener: (error: Error) => void): unknown;
};

export interface PostgresStoreOptions {
  /** Table name, optionally schema-qualified (default `seatcap_kv`). */
  table?: string;
}

export interface PostgresOpenOptions extends PostgresStoreOptions {
  /** Most connections the pool opens (default 10). */
  max?: number;
  /**
   * Milliseconds any one step may take: connecting or waiting for a free connection, a statement
   * (server side and client side), a transaction left idle (default 5000). Bounded, so a database
   * that went away answers `store-error` instead of holding requests open.
   */
  timeoutMs?: number;
  /** Told of each connection the pool lost while idle (default: one line on stderr). */
  onError?: (error: Error) => void;
}

/** The part of a `pg.Pool` `open` needs beyond `PgPool`. */
interface OwnedPool extends PgPool {
  on(event: "error", listener: (error: Error) => void): unknown;
  end(): Promise<void>;
}

const NAME = /^([a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,50}$/;
/** serialization_failure, deadlock_detected, unique_violation (a racing insert). */
const LOST_RACE = new Set(["40001", "40P01", "23505"]);
/** The connection is gone or the server is going away: class 08, admin shutdown/crash (57P01–57P03). */
const CONNECTION_LOST = /^(08|57P0[1-3])/;

export class PostgresStore implements Store {
  readonly pool: PgPool;
  readonly #table: string;
  #ready: Promise<void> | undefined;
  #end: (() => Promise<void>) | undefined;

  /**
   * A store on its own `pg.Pool` for `connectionString`, set up to outlive its database: a lost
   * connection is reported (not an unhandled `error` event that ends the process) and replaced on
   * the next request, and every step is timed out. The optional peer dependency `pg` must be installed.
   */
  static async open(
    connectionString: string,
    options: PostgresOpenOptions = {},
  ): Promise<PostgresStore> {
    const pg = (await importPeer("pg")) as {
      default: { Pool: new (config: Record<string, unknown>) => OwnedPool };
    };
    const timeout = Math.max(1, Math.floor(options.timeoutMs ?? 5000));
    const pool = new pg.default.Pool({
      connectionString,
      max: options.max ?? 10,
      connectionTimeoutMillis: timeout,
      // The server's bounds, so a statement or a transaction abandoned mid-way frees its locks…
      statement_timeout: timeout,
      idle_in_transaction_session_timeout: timeout,
      // …and the client's, for a server that stopped answering without closing the socket (failover).
      query_timeout: timeout + 1000,
      keepAlive: true,
      idleTimeoutMillis: 10_000,
    });
    const onError =
      options.onError ??
      ((e: Error) =>
        console.error(
          `seatcap: PostgreSQL connection lost (${oneLine(e)}); reconnecting on the next request`,
        ));
    pool.on("error", onError);
    const store = new PostgresStore(pool, options);
    store.#end = () => pool.end();
    return store;
  }

  constructor(pool: PgPool, options: PostgresStoreOptions = {}) {
    const table = options.table ?? "seatcap_kv";
    if (!NAME.test(table))
      throw new TypeError(`table: \`${table}\` is not a plain lower-case SQL identifier`);
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
    const client = await this.#checkOut();
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
    return this.#get(this.pool, keys);
  }

  async #get(on: PgQueryable, keys: string[]): Promise<(Versioned | null)[]> {
    // One statement: one snapshot.
    const { rows } = await on.query(
      `SELECT key, value, version FROM ${this.#table} WHERE key = ANY($1::text[])`,
      [keys],
    );
    const found = new Map(
      rows.map((r) => [r.key as string, { value: r.value as string, version: Number(r.version) }]),
    );
    return keys.map((k) => found.get(k) ?? null);
  }

  async list(prefix: string, after?: string, limit?: number): Promise<Entry[]> {
    await this.ready();
    return this.#list(this.pool, prefix, after, limit);
  }

  async #list(on: PgQueryable, prefix: string, after?: string, limit?: number): Promise<Entry[]> {
    // Only the bounds that apply, so the planner sees a plain range scan of the primary key.
    const where = ["key >= $1"];
    const values: unknown[] = [prefix];
    const end = prefixEnd(prefix);
    if (end !== null) where.push(`key < $${values.push(end)}`);
    if (after !== undefined) where.push(`key > $${values.push(after)}`);
    let sql = `SELECT key, value, version FROM ${this.#table} WHERE ${where.join(" AND ")} ORDER BY key`;
    if (limit !== undefined && Number.isFinite(limit))
      sql += ` LIMIT $${values.push(Math.max(0, Math.floor(limit)))}`;
    const { rows } = await on.query(sql, values);
    return rows.map((r) => ({
      key: r.key as string,
      value: r.value as string,
      version: Number(r.version),
    }));
  }

  async commit(tx: Commit): Promise<boolean> {
    await this.ready();
    return this.#transaction(false, async (client) => {
      // Shared: commits go side by side, but none while an `exclusive` caller holds the table.
      await client.query("SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))", [
        this.#writersLock,
      ]);
      return this.#apply(client, tx);
    });
  }

  /**
   * Runs `work` with every other writer held off: other callers' commits wait (up to the statement
   * timeout) until it returns, so what `work` reads stays current until it commits, and its commit
   * can't lose a race to another seatcap. The Engine runs a request here after it lost races
   * (see Store.exclusive); keep `work` short.
   */
  async exclusive<T>(work: (store: Store) => Promise<T>): Promise<T> {
    await this.ready();
    return this.#transaction(undefined, async (client) => {
      await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [
        this.#writersLock,
      ]);
      return work({
        get: (keys) => this.#get(client, keys),
        list: (prefix, after, limit) => this.#list(client, prefix, after, limit),
        // Inside this transaction: written when `work` returns, undone if it throws.
        commit: (tx) =>
          this.#apply(client, tx).catch((e: unknown) => {
            if (LOST_RACE.has(sqlState(e) ?? "")) return false; // the transaction is over: `work` ends with nothing written
            throw e;
          }),
      });
    });
  }

  get #writersLock(): string {
    return `seatcap:${this.#table}:writers`;
  }

  /**
   * `work` in one transaction on a client of its own: committed if it returns, rolled back if it
   * throws or answers `false`. A lost race (serialization failure, deadlock, racing insert) answers
   * `lost`, or throws if `lost` is undefined.
   */
  async #transaction<T>(lost: T | undefined, work: (client: PgClient) => Promise<T>): Promise<T> {
    const client = await this.#checkOut();
    let broken: unknown;
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query(result === false ? "ROLLBACK" : "COMMIT");
      return result;
    } catch (e) {
      // A connection that failed is dropped, not rolled back: a `ROLLBACK` on it could only wait or fail.
      // If `COMMIT` itself was in flight the transaction may have landed (see docs/decisions.md): the
      // error goes up as `store-error`, never `false`, since a retry would apply it twice.
      const code = sqlState(e);
      if (code === undefined || CONNECTION_LOST.test(code)) {
        broken = e;
        throw e;
      }
      await client.query("ROLLBACK").catch((rollback: unknown) => {
        broken = rollback;
      });
      if (lost !== undefined && LOST_RACE.has(code)) return lost;
      throw e;
    } finally {
      client.release(broken === undefined ? undefined : broken instanceof Error ? broken : true);
    }
  }

  /** Checks `tx`'s expectations and applies it on `client`, inside a transaction; `false`: it lost, nothing written. */
  async #apply(client: PgQueryable, tx: Commit): Promise<boolean> {
    const keys = [
      ...new Set([...tx.expect.map((e) => e.key), ...tx.put.map((p) => p.key), ...tx.del]),
    ];
    // Held to the end of the transaction; taken in hash order, so two commits never wait on each other in a cycle.
    await client.query(
      "SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended($2 || k, 0) AS h FROM unnest($1::text[]) AS k ORDER BY h) AS locks",
      [keys, `seatcap:${this.#table}:`],
    );
    // Read after the locks, so the versions are those of the last commit on these keys (READ COMMITTED
    // takes a fresh snapshot per statement); `FOR UPDATE` also waits for a writer that takes no locks.
    const { rows } = await client.query(
      `SELECT key, version FROM ${this.#table} WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE`,
      [keys],
    );
    const current = new Map(rows.map((r) => [r.key as string, Number(r.version)]));
    if (!tx.expect.every((e) => (current.get(e.key) ?? null) === e.version)) return false;
    if (tx.put.length === 0 && tx.del.length === 0) return true;
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
    if (tx.del.length > 0)
      await client.query(`DELETE FROM ${this.#table} WHERE key = ANY($1::text[])`, [tx.del]);
    return true;
  }

  /**
   * A client from the pool, listened to while it is out: pg's pool only listens to idle clients,
   * so a server that ends the session between two statements of a transaction (a restart) would
   * otherwise be an unhandled `error` event, which ends the process. The statement in flight, or
   * the next, fails instead, and the client is destroyed on release.
   */
  async #checkOut(): Promise<PgClient> {
    const client = await this.pool.connect();
    if (!client.on || !client.off) return client;
    let lost: Error | undefined;
    const listener = (e: Error) => {
      lost ??= e;
    };
    client.on("error", listener);
    return {
      query: (text, values) => (lost ? Promise.reject(lost) : client.query(text, values)),
      release: (destroy) => {
        client.off!("error", listener);
        client.release(lost ?? destroy);
      },
    };
  }

  /** Closes the pool `open` made (a store made on a pool of yours leaves it open). */
  async close(): Promise<void> {
    await this.#end?.();
  }

  /** Drops the table and sequence (tests, teardown). */
  async drop(): Promise<void> {
    await this.pool.query(`DROP TABLE IF EXISTS ${this.#table}`);
    await this.pool.query(`DROP SEQUENCE IF EXISTS ${this.#table}_version`);
    this.#ready = undefined;
  }
}

/** The SQLSTATE of an error the server sent (pg's DatabaseError has a `severity`); `undefined` for a socket, timeout or driver error. */
function sqlState(e: unknown): string | undefined {
  const { code, severity } = (e ?? {}) as { code?: unknown; severity?: unknown };
  return typeof code === "string" && typeof severity === "string" ? code : undefined;
}

function oneLine(e: Error): string {
  return (e.message || String(e)).split("\n")[0]!.slice(0, 200);
}

/** Loads an optional peer dependency; a call, not a literal `import("pg")`, so bundlers (minifying too) leave it alone. */
function importPeer(name: string): Promise<unknown> {
  return import(name);
}
