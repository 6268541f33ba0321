/**
 * A JSON number that a JS number cannot hold: an integer beyond ±2^53 (distinct ids would collide as
 * doubles) or a value beyond the double range (`1e400` would become Infinity, `1e-400` zero). It keeps the
 * number's text exactly as the API sent it; the column tracker stores that text in a column type that holds
 * it (bigint within int64, decimal beyond). Produced only by `parseJsonBody`'s slow path.
 */
import { stringify as losslessStringify } from 'lossless-json';

const INTEGER = /^-?\d+$/;
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** Incremented by every `toJSON` call: lets `stringifyJson` notice an exact number inside a value cheaply. */
let serialized = 0;

export class ExactNumber {
  constructor(
    /** The number exactly as written in the JSON text, e.g. `9007199254740993` or `1e400`. */
    readonly text: string,
  ) {}

  /** Plain integer digits (no fraction, no exponent). */
  get isInteger(): boolean {
    return INTEGER.test(this.text);
  }

  /** An integer that a 64-bit signed integer column holds exactly. */
  get isInt64(): boolean {
    if (!this.isInteger) return false;
    const n = BigInt(this.text);
    return n >= INT64_MIN && n <= INT64_MAX;
  }

  /** The nearest double, for arithmetic that tolerates rounding (a page `count`, never an id). */
  valueOf(): number {
    return Number(this.text);
  }

  toString(): string {
    return this.text;
  }

  /**
   * Plain `JSON.stringify` cannot write a raw number token, so it gets the exact text as a JSON string (never
   * a rounded number). `stringifyJson` writes it as a number instead.
   */
  toJSON(): string {
    serialized++;
    return this.text;
  }
}

export function isExactNumber(v: unknown): v is ExactNumber {
  return v instanceof ExactNumber;
}

const EXACT_STRINGIFIER = [
  { test: isExactNumber, stringify: (v: unknown) => (v as ExactNumber).text },
] as const;

/**
 * `JSON.stringify` for record values (nested objects and arrays stored as JSON text), writing exact numbers
 * as the number tokens they were. Uses V8's native stringify and only redoes the value with lossless-json
 * (slower) when it held an exact number, which `toJSON`'s counter tells without a second walk.
 */
export function stringifyJson(v: unknown): string {
  const before = serialized;
  const text = JSON.stringify(v);
  if (serialized === before) return text;
  return losslessStringify(v, undefined, undefined, [...EXACT_STRINGIFIER]) as string;
}
