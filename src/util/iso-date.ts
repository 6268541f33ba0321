/**
 * Recognising the ISO-8601 strings that schema inference types: a calendar date (`2024-01-31`, JSON Schema
 * `format: date`) and a date-time with a zone (`2024-01-31T12:00:00Z`, `...+02:00`; RFC 3339, JSON Schema
 * `format: date-time`). A date-time without a zone is not one: it names no instant, so it stays text.
 * Hand-written over char codes (no regex with captures, no `Date.parse`, which accepts far more than
 * ISO-8601 and rolls Feb 30 over): the column tracker runs it on every value of an inferred timestamp column.
 */

/** Value of the `n` ASCII digits of `s` at `at`, or -1 if any is not a digit. */
function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** `YYYY-MM-DD` at the start of `s`, a real calendar date. */
function datePart(s: string): boolean {
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return false; // '-'
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days =
    month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= days;
}

/** `YYYY-MM-DD`, a real calendar date. */
export function isIsoDate(s: string): boolean {
  return s.length === 10 && datePart(s);
}

/** An RFC 3339 date-time with a zone (`Z` or `±HH:MM`), a real date and time of day. */
export function isIsoDateTime(s: string): boolean {
  const len = s.length;
  if (len < 20 || len > 35 || !datePart(s)) return false;
  const t = s.charCodeAt(10);
  if (t !== 84 && t !== 116) return false; // 'T' or 't'
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return false; // ':'
  const hh = digits(s, 11, 2);
  const mm = digits(s, 14, 2);
  const ss = digits(s, 17, 2);
  if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 59) return false;
  let i = 19;
  if (s.charCodeAt(i) === 46) {
    // '.': 1 to 9 digits of fraction
    const start = ++i;
    while (i < len && digits(s, i, 1) >= 0) i++;
    if (i === start || i - start > 9) return false;
  }
  const z = s.charCodeAt(i);
  if (z === 90 || z === 122) return i + 1 === len; // 'Z' or 'z'
  if ((z !== 43 && z !== 45) || i + 6 !== len || s.charCodeAt(i + 3) !== 58) return false; // '+'/'-', ':'
  const oh = digits(s, i + 1, 2);
  const om = digits(s, i + 4, 2);
  return oh >= 0 && oh <= 23 && om >= 0 && om <= 59;
}
