/**
 * Parsing a response body without losing a number. `JSON.parse` turns integers beyond 2^53 into the nearest
 * double (two distinct ids can become one) and `1e400` into Infinity. lossless-json parses numbers exactly
 * but is several times slower, so it only runs on bodies that may hold such a number: an integer part of 16
 * or more digits (2^53 has 16), an exponent of 3 digits, or 16 zeros after a point (the only ways to pass
 * 2^53, overflow or underflow). The scan is a regex, not a tokenizer, so text inside a string can match too
 * (`"phone":"12345678901234567"`); such a false positive only costs the slower parse, never a different result.
 */
import { isSafeNumber, parse as losslessParse } from 'lossless-json';
import { ExactNumber } from '../util/exact-number.js';

// One regex pass finds both kinds of candidate: 16 digits in a row, or a digit followed by an exponent of 3 or
// more digits that ends a token (`,`, `}`, `]` or whitespace next: inside a string, as in an id like
// "N1e452x", the exponent is followed by more of the string). Timed on a 190 KB page of Humaans
// documents, one pass costs about 80 µs against 115–135 µs for a regex per kind plus the context checks of
// their false hits (ids and file names are full of `e123`), and V8 scans 16 spelled-out \d several times
// faster than \d{16} (bench/json-parse.ts measures the scan against JSON.parse).
// It runs with `exec`, which allocates only on a hit (rare): each hit's context is then checked by hand, so a
// 17-digit fraction (0.14285714285714285) is a hit but not a number that needs the exact path.
const CANDIDATE = new RegExp(`\\d(?:${'\\d'.repeat(15)}|[eE][-+]?\\d\\d\\d+[,}\\]\\s])`, 'g');
const SIXTEEN_ZEROS = '0000000000000000';

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** The digit run around `at` is an integer part (not a fraction), or 16 zeros right after a point. */
function longIntegerPartAt(text: string, at: number): boolean {
  let start = at;
  while (start > 0 && isDigit(text.charCodeAt(start - 1))) start--;
  if (start === 0 || text.charCodeAt(start - 1) !== 46 /* . */) return true;
  return text.startsWith(SIXTEEN_ZEROS, start);
}

/** The exponent at `e` belongs to a number token that starts a JSON value (after `:`, `,`, `[` or whitespace). */
function bigExponentAt(text: string, e: number): boolean {
  let start = e;
  for (;;) {
    const c = text.charCodeAt(start - 1);
    if (!(isDigit(c) || c === 46 /* . */ || c === 45) /* - */) break;
    start--;
  }
  const before = text.charCodeAt(start - 1);
  return (
    start < e &&
    (before === 58 ||
      before === 44 ||
      before === 91 ||
      before === 32 ||
      before === 10 ||
      before === 9 ||
      before === 13)
  );
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
  CANDIDATE.lastIndex = 0;
  for (let m = CANDIDATE.exec(text); m !== null; m = CANDIDATE.exec(text)) {
    const at = m.index;
    if (isDigit(text.charCodeAt(at + 1))) {
      if (longIntegerPartAt(text, at)) return true;
      // A long fraction: go on after the whole run of digits.
      let end = at + 16;
      while (end < text.length && isDigit(text.charCodeAt(end))) end++;
      CANDIDATE.lastIndex = end;
    } else if (bigExponentAt(text, at + 1)) return true;
  }
  return false;
}

/** Parse a JSON body; throws SyntaxError on malformed JSON, as JSON.parse does. */
export function parseJsonBody(text: string): unknown {
  if (!mayHoldUnsafeNumber(text)) return JSON.parse(text);
  return losslessParse(text, null, parseNumber);
}
