// A small seeded random generator, so a generated timeline is the same on
// every machine and every run: mulberry32 (32-bit state, good enough to
// shuffle accounts and spread connection times; not for anything secret).

/** Returns a function giving numbers in [0, 1), fixed by `seed`. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffles the first `take` places of `values` (Fisher–Yates, stopped early): they become a uniform random sample in random order. */
export function partialShuffle(values: Int32Array, take: number, random: () => number): void {
  const n = values.length;
  for (let i = 0; i < Math.min(take, n - 1); i++) {
    const j = i + Math.floor(random() * (n - i));
    const v = values[i]!;
    values[i] = values[j]!;
    values[j] = v;
  }
}
