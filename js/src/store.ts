// The storage contract of SPEC "Storage callbacks", and helpers every
// adapter shares. An adapter is small on purpose: the engine decides what to
// read and write; a store only answers `get`, `list` and an atomic `commit`.

/** A stored value and its version (any number that changes on every write of that key). */
export interface Versioned {
  value: string;
  version: number;
}

export interface Entry {
  key: string;
  value: string;
  /**
   * Optional: the entry's version, as `get` would answer it. A store that gives it saves the
   * Engine reading listed values again with `get` before it answers (an `at-cap` sweep lists every
   * account). Give it only if it is the version of this very value.
   */
  version?: number;
}

/** What `commit` is asked to apply, all or nothing. */
export interface Commit {
  /** Each key must still be at this version; `null`: must be absent. */
  expect: { key: string; version: number | null }[];
  put: { key: string; value: string }[];
  del: string[];
}

type MaybePromise<T> = T | Promise<T>;

/**
 * What a host supplies (SPEC "Storage callbacks"); each method may answer
 * directly or with a Promise. Keys are compared by code point (UTF-8 byte
 * order), as SQL `COLLATE "C"` and SQLite's `BINARY` do.
 */
export interface Store {
  /** Values in the order of `keys`; `null` where absent. One consistent read if the store can. */
  get(keys: string[]): MaybePromise<(Versioned | null)[]>;
  /** Applies `put` and `del` atomically if every `expect` holds; `false` and no change otherwise. */
  commit(tx: Commit): MaybePromise<boolean>;
  /** Keys under `prefix`, ascending, strictly after `after`, at most `limit`. */
  list(prefix: string, after?: string, limit?: number): MaybePromise<Entry[]>;
  /**
   * Optional, for stores several processes write: runs `work` against a view of this store while
   * every other writer's commits wait, so a request that keeps losing races to others can finish.
   * The Engine uses it for a request's tries after its second lost race; without it, the Engine
   * only backs off and retries.
   */
  exclusive?<T>(work: (store: Store) => Promise<T>): Promise<T>;
}

/**
 * Orders strings by code point, which is UTF-8 byte order: JavaScript's `<`
 * compares UTF-16 units, which puts U+E000–U+FFFF after astral characters.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}

// Surrogates (astral code points) move above U+E000–U+FFFF.
function rank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

/** The least string above every string starting with `prefix` (`null`: none), for range scans. */
export function prefixEnd(prefix: string): string | null {
  if (prefix === "") return null;
  const chars = Array.from(prefix);
  const last = chars.pop()!.codePointAt(0)!;
  if (last >= 0x10ffff) return prefixEnd(chars.join(""));
  // Skip the surrogate block, which is not a code point of its own.
  const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
  return chars.join("") + String.fromCodePoint(next);
}
