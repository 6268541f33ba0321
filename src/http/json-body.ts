/**
 * Parsing a response body without losing a number. `JSON.parse` turns integers beyond 2^53 into the nearest
 * double (two distinct ids can become one) and `1e400` into Infinity. lossless-json parses numbers exactly
 * but is several times slower, so it only runs on bodies that may hold such a number: an integer part of 16
 * or more digits (2^53 has 16), an exponent of 3 digits, or 16 zeros after a point (the only ways to pass
 * 2^53, overflow or underflow). The scan is regexes, not a tokenizer, so text inside a string can match too
 * (`"phone":"12345678901234567"`); such a false positive only costs the slower parse, never a different result.
 */
import { isSafeNumber, parse as losslessParse } from 'lossless-json';
import { ExactNumber } from '../util/exact-number.js';

// Measured with bench/json-parse.ts: V8 scans 16 spelled-out \d several times faster than \d{16}, and a
// character class, lookbehind or structural anchor in front costs several times more again. So the regexes
// are the cheap ones (run with `test`, which allocates no match), and each hit's context is checked by hand,
// only where it hit: a 17-digit fraction (0.14285714285714285) or an id like "x4e248y" is a hit but not a
// number that needs the exact path.
const SIXTEEN_DIGITS = new RegExp('\\d'.repeat(16), 'g');
const THREE_DIGIT_EXPONENT = /[eE][-+]?\d\d\d/g;
const SIXTEEN_ZEROS = '0000000000000000';

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** A run of 16+ digits that is an integer part (not a fraction), or 16 zeros right after a point. */
function hasLongIntegerPart(text: string): boolean {
  SIXTEEN_DIGITS.lastIndex = 0;
  while (SIXTEEN_DIGITS.test(text)) {
    let start = SIXTEEN_DIGITS.lastIndex - 16;
    while (start > 0 && isDigit(text.charCodeAt(start - 1))) start--;
    if (start === 0 || text.charCodeAt(start - 1) !== 46 /* . */) return true;
    if (text.startsWith(SIXTEEN_ZEROS, start)) return true;
    let end = SIXTEEN_DIGITS.lastIndex;
    while (end < text.length && isDigit(text.charCodeAt(end))) end++;
    SIXTEEN_DIGITS.lastIndex = end;
  }
  return false;
}

/** A 3-digit exponent on a number token that starts a JSON value (after `:`, `,`, `[` or whitespace). */
function hasBigExponent(text: string): boolean {
  THREE_DIGIT_EXPONENT.lastIndex = 0;
  while (THREE_DIGIT_EXPONENT.test(text)) {
    const end = THREE_DIGIT_EXPONENT.lastIndex;
    // The match is `e123` or `e+123`.
    const e = (text.charCodeAt(end - 4) | 0x20) === 101 /* e */ ? end - 4 : end - 5;
    let start = e;
    for (;;) {
      const c = text.charCodeAt(start - 1);
      if (!(isDigit(c) || c === 46 /* . */ || c === 45) /* - */) break;
      start--;
    }
    const before = text.charCodeAt(start - 1);
    if (
      start < e &&
      (before === 58 ||
        before === 44 ||
        before === 91 ||
        before === 32 ||
        before === 10 ||
        before === 9 ||
        before === 13)
    )
      return true;
  }
  return false;
}

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
  return hasLongIntegerPart(text) || hasBigExponent(text);
}

/** Parse a JSON body; throws SyntaxError on malformed JSON, as JSON.parse does. */
export function parseJsonBody(text: string): unknown {
  if (!mayHoldUnsafeNumber(text)) return JSON.parse(text);
  return losslessParse(text, null, parseNumber);
}
