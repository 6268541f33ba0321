/**
 * Recognising the ISO-8601 strings that schema inference types: a calendar date (`2024-01-31`, JSON Schema
 * `format: date`) and a date-time with a zone (`2024-01-31T12:00:00Z`, `...+02:00`; RFC 3339, JSON Schema
 * `format: date-time`). A date-time without a zone is not one: it names no instant, so it stays text.
 * Regexes plus a calendar check (no `Date.parse`, which accepts far more than ISO-8601 and rolls Feb 30 over).
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

function validDate(y: string, m: string, d: string): boolean {
  const year = Number(y);
  const month = Number(m);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days =
    month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= days;
}

/** `YYYY-MM-DD`, a real calendar date. */
export function isIsoDate(s: string): boolean {
  if (s.length !== 10) return false;
  const m = DATE.exec(s);
  return m !== null && validDate(m[1]!, m[2]!, m[3]!);
}

/** An RFC 3339 date-time with a zone (`Z` or `±HH:MM`), a real date and time of day. */
export function isIsoDateTime(s: string): boolean {
  if (s.length < 20 || s.length > 35) return false;
  const m = DATE_TIME.exec(s);
  if (m === null || !validDate(m[1]!, m[2]!, m[3]!)) return false;
  if (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 59) return false;
  return m[7] === undefined || (Number(m[7]) <= 23 && Number(m[8]) <= 59);
}
