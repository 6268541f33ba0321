/**
 * Seeded randomness. Records are generated lazily by index, so every record gets its own small generator
 * seeded from (seed, stream, index): record i is the same whichever page asks for it, and nothing about
 * the dataset has to be held in memory.
 */

/** A 32-bit avalanche mix (lowbias32). Bijective, so it doubles as a permutation of the 32-bit integers. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Inverse of `mix32`, so an index hidden inside an id can be recovered without a lookup table. */
export function unmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, inverseOdd(0x846ca68b));
  h ^= (h >>> 15) ^ (h >>> 30);
  h = Math.imul(h, inverseOdd(0x7feb352d));
  h ^= h >>> 16;
  return h >>> 0;
}

/** Multiplicative inverse of an odd number modulo 2^32 (Newton's iteration doubles the good bits each step). */
function inverseOdd(a: number): number {
  let x = a;
  for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(a, x));
  return x >>> 0;
}

/** Hash any number of integers into one 32-bit seed. */
export function hashInts(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) h = step(h, p);
  return h;
}

/** `hashInts(a, b, c)` without the rest-array allocation, for per-record hot paths. */
export function hash3(a: number, b: number, c: number): number {
  return step(step(step(0x9e3779b9, a), b), c);
}

function step(h: number, p: number): number {
  return mix32(h ^ mix32(p >>> 0) ^ Math.floor(p / 0x100000000));
}

/** A stable 32-bit number for a name (FNV-1a), used to give each stream its own random sequence. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** mulberry32: tiny, fast and good enough for test data. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Up to `max` distinct items, in their original order. */
  some<T>(items: readonly T[], max: number): T[] {
    const n = this.int(max + 1);
    const out: T[] = [];
    for (const item of items) if (out.length < n && this.chance(n / items.length)) out.push(item);
    return out;
  }
}

/** A generator for record `index` of the stream identified by `salt`. */
export function recordRng(seed: number, salt: number, index: number): Rng {
  return new Rng(hash3(seed, salt, index));
}
