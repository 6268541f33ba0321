/**
 * Random-looking string ids (Humaans style: 24 alphanumerics) that carry their record's index, scrambled.
 * A GET by id decodes the index instead of looking it up, so a million-record dataset needs no id map.
 */
import { hashInts, mix32, unmix32 } from './prng.js';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const TAIL = 6; // 62^6 > 2^32: any 32-bit index fits
const HEAD = 18;

/** Mints and decodes the ids of one stream. */
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
    let out = '';
    let h = this.salt;
    for (let i = 0; i < HEAD; i += 5) {
      h = hashInts(h, this.seed, index, i);
      let v = h;
      for (let j = 0; j < 5 && i + j < HEAD; j++) {
        out += ALPHABET[v % 62];
        v = Math.floor(v / 62);
      }
    }
    let tail = mix32((index ^ this.salt) >>> 0);
    let t = '';
    for (let j = 0; j < TAIL; j++) {
      t = ALPHABET[tail % 62] + t;
      tail = Math.floor(tail / 62);
    }
    return out + t;
  }

  /** The index an id was minted for, or undefined when the id is not one of ours. */
  index(id: string): number | undefined {
    if (id.length !== HEAD + TAIL) return undefined;
    let v = 0;
    for (let j = HEAD; j < id.length; j++) {
      const d = ALPHABET.indexOf(id[j]);
      if (d < 0) return undefined;
      v = v * 62 + d;
    }
    if (v > 0xffffffff) return undefined;
    const index = (unmix32(v) ^ this.salt) >>> 0;
    return this.id(index) === id ? index : undefined;
  }
}
