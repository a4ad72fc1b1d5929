// A Store in memory, synchronous: the simulator's and the tests' store, and
// the reference behaviour other adapters are checked against.
import { compareKeys, type Commit, type Entry, type Store, type Versioned } from "./store.js";

export class MemoryStore implements Store {
  #entries = new Map<string, Versioned>();
  /** Keys in order, rebuilt lazily after inserts or deletes. */
  #sorted: string[] | null = [];
  #version = 0;

  get(keys: string[]): (Versioned | null)[] {
    return keys.map((key) => {
      const found = this.#entries.get(key);
      return found ? { value: found.value, version: found.version } : null;
    });
  }

  list(prefix: string, after?: string, limit = Infinity): Entry[] {
    const keys = this.#keys();
    const from = after !== undefined && compareKeys(after, prefix) >= 0 ? after : prefix;
    let i = lowerBound(keys, from);
    if (i < keys.length && keys[i] === after) i++;
    const out: Entry[] = [];
    for (; i < keys.length && out.length < limit && keys[i]!.startsWith(prefix); i++) {
      const { value, version } = this.#entries.get(keys[i]!)!;
      out.push({ key: keys[i]!, value, version });
    }
    return out;
  }

  commit(tx: Commit): boolean {
    for (const { key, version } of tx.expect) {
      if ((this.#entries.get(key)?.version ?? null) !== version) return false;
    }
    const version = ++this.#version;
    for (const { key, value } of tx.put) {
      if (!this.#entries.has(key)) this.#sorted = null;
      this.#entries.set(key, { value, version });
    }
    for (const key of tx.del) {
      if (this.#entries.delete(key)) this.#sorted = null;
    }
    return true;
  }

  /** Every entry in key order: for inspection and tests. */
  entries(): [string, Versioned][] {
    return this.#keys().map((k) => [k, { ...this.#entries.get(k)! }]);
  }

  #keys(): string[] {
    this.#sorted ??= [...this.#entries.keys()].sort(compareKeys);
    return this.#sorted;
  }
}

function lowerBound(keys: string[], target: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(keys[mid]!, target) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
