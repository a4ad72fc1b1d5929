// The few Cloudflare Workers runtime types this host uses, declared here so
// the package needs no @cloudflare/workers-types to build (they match it).

/** `ctx.storage.sql` of a SQLite-backed Durable Object. */
export interface SqlStorage {
  exec<T extends Record<string, SqlValue> = Record<string, SqlValue>>(
    query: string,
    ...bindings: SqlValue[]
  ): SqlCursor<T>;
}
export type SqlValue = string | number | null | ArrayBuffer;
export interface SqlCursor<T> extends Iterable<T> {
  toArray(): T[];
  one(): T;
}

/** `ctx.storage`: the SQL API and a synchronous transaction over it. */
export interface DurableObjectStorage {
  readonly sql: SqlStorage;
  transactionSync<T>(fn: () => T): T;
}

export interface DurableObjectState {
  readonly storage: DurableObjectStorage;
}

export interface DurableObjectNamespace<Stub> {
  idFromName(name: string): unknown;
  get(id: unknown): Stub;
}

export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}
