/**
 * Parsing a response body without losing a number. `JSON.parse` turns integers beyond 2^53 into the nearest
 * double (two distinct ids can become one) and `1e400` into Infinity. lossless-json parses numbers exactly
 * but is several times slower, so it only runs on bodies that may hold such a number: a run of 16 or more
 * digits (2^53 has 16) or an exponent of 3 or more digits. The scan also matches inside strings (a long
 * digit run in a text field); such a false positive only costs the slower parse, never a different result.
 */
import { isSafeNumber, parse as losslessParse } from 'lossless-json';
import { ExactNumber } from '../util/exact-number.js';

const MAY_HOLD_UNSAFE_NUMBER = /\d{16}|[eE][+-]?\d{3}/;

const PLAIN_INTEGER = /^-?\d+$/;
const NONZERO_DIGIT = /[1-9]/;

/**
 * A number token as JS. Integers written as digits: a number when it is exactly that integer, else an
 * ExactNumber. Anything with a fraction or exponent: the nearest double, as JSON.parse gives (`1e25`,
 * `0.1234567890123456789` round like any float), unless it overflows to Infinity or underflows to zero,
 * then an ExactNumber. So a token's result never depends on which path parsed its body.
 */
function parseNumber(text: string): number | ExactNumber {
  if (PLAIN_INTEGER.test(text)) return isSafeNumber(text) ? Number(text) : new ExactNumber(text);
  const n = Number(text);
  if (!Number.isFinite(n)) return new ExactNumber(text);
  if (n === 0 && NONZERO_DIGIT.test(text.split(/[eE]/)[0]!)) return new ExactNumber(text);
  return n;
}

/** Whether `text` takes the exact (slow) path. Exposed for tests and the benchmark. */
export function mayHoldUnsafeNumber(text: string): boolean {
  return MAY_HOLD_UNSAFE_NUMBER.test(text);
}

/** Parse a JSON body; throws SyntaxError on malformed JSON, as JSON.parse does. */
export function parseJsonBody(text: string): unknown {
  if (!MAY_HOLD_UNSAFE_NUMBER.test(text)) return JSON.parse(text);
  return losslessParse(text, null, parseNumber);
}
