/**
 * Random-looking string ids (Humaans style: 24 alphanumerics) that carry their record's index, scrambled.
 * A GET by id decodes the index instead of looking it up, so a million-record dataset needs no id map.
 */
import { hashInts, mix32, unmix32 } from './prng.js';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Every two-character base-62 string, so a 32-bit number becomes six characters in three lookups. */
const PAIRS: string[] = [];
for (const a of ALPHABET) for (const b of ALPHABET) PAIRS.push(a + b);
const PAIR_COUNT = 62 * 62;

/** Six base-62 characters of a 32-bit number (62^6 > 2^32), most significant first. */
function six(v: number): string {
  const lo = v % PAIR_COUNT;
  const rest = (v - lo) / PAIR_COUNT;
  const mid = rest % PAIR_COUNT;
  return PAIRS[(rest - mid) / PAIR_COUNT] + PAIRS[mid] + PAIRS[lo];
}

/** Mints and decodes the ids of one stream: 18 hashed characters, then 6 that encode the index. */
export class OpaqueIds {
  private readonly salt: number;

  constructor(
    private readonly seed: number,
    streamSalt: number,
  ) {
    this.salt = hashInts(seed, streamSalt);
  }

  /** The id of record `index`. */
  id(index: number): string {
    const h = mix32(this.salt ^ mix32(index));
    return (
      six(h) + six(mix32(h ^ this.seed)) + six(mix32(h + 0x9e3779b9)) + six(mix32((index ^ this.salt) >>> 0))
    );
  }

  /** The index an id was minted for, or undefined when the id is not one of ours. */
  index(id: string): number | undefined {
    if (id.length !== 24) return undefined;
    let v = 0;
    for (let j = 18; j < 24; j++) {
      const d = ALPHABET.indexOf(id[j]);
      if (d < 0) return undefined;
      v = v * 62 + d;
    }
    if (v > 0xffffffff) return undefined;
    const index = (unmix32(v) ^ this.salt) >>> 0;
    return this.id(index) === id ? index : undefined;
  }
}
