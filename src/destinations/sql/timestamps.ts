/**
 * Parsing the ISO-8601 timestamps every destination accepts in a timestamp column, the same way everywhere:
 * a value that does not parse here is refused by the row checks (rows.ts) before any SQL runs. The result is
 * counted from PostgreSQL's epoch (2000-01-01), which its binary COPY sends as is.
 */

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Days from 1970-01-01 to 2000-01-01, PostgreSQL's epoch for binary timestamps. */
const PG_EPOCH_DAYS = 10957;

/** A parsed timestamp: whole seconds and microseconds since 2000-01-01T00:00:00Z (PostgreSQL's epoch). */
export interface PgTimestamp {
  seconds: number;
  micros: number;
}

/** Round half to even, as PostgreSQL's `rint` does for fractional seconds. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Value of the `n` ASCII digits of `s` at `at`, or -1 if any is not a digit (or is past the end). */
function digitsAt(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (!(d >= 0 && d <= 9)) return -1;
    v = v * 10 + d;
  }
  return v;
}

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000];

/**
 * Parse the ISO-8601 timestamps a timestamptz column accepts: `YYYY-MM-DD`, optionally followed by
 * `T` or a space, `HH:MM`, optional `:SS`, optional `.f` (1-9 digits), optional zone (`Z`, `±HH`,
 * `±HHMM`, `±HH:MM`). Returns undefined for anything else, including impossible dates, so such a value
 * makes its column text rather than a value PostgreSQL would reject or read differently. Hand-written
 * (no regex): it runs for every timestamp value of every batch.
 */
export function parseTimestamp(text: string): PgTimestamp | undefined {
  const len = text.length;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  if (year < 1 || month < 1 || day < 1 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45)
    return undefined;
  if (month > 12 || day > daysInMonth(year, month)) return undefined;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let micros = 0;
  let offset = 0;
  let i = 10;
  if (i < len) {
    const sep = text.charCodeAt(i);
    if (sep !== 84 && sep !== 32) return undefined; // 'T' or ' '
    hour = digitsAt(text, i + 1, 2);
    minute = digitsAt(text, i + 4, 2);
    if (hour < 0 || minute < 0 || text.charCodeAt(i + 3) !== 58) return undefined;
    i += 6;
    if (text.charCodeAt(i) === 58) {
      second = digitsAt(text, i + 1, 2);
      if (second < 0) return undefined;
      i += 3;
      if (text.charCodeAt(i) === 46) {
        let j = i + 1;
        while (j < len && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++;
        const n = j - i - 1;
        if (n < 1 || n > 9) return undefined;
        // Up to 6 digits are exact; beyond, round half to even like PostgreSQL's rint(frac * 10^6).
        micros =
          n <= 6
            ? digitsAt(text, i + 1, n) * POW10[6 - n]!
            : roundHalfEven(Number(`0.${text.slice(i + 1, j)}`) * 1e6);
        i = j;
      }
    }
    if (i < len) {
      const zone = text.charCodeAt(i);
      if (zone === 90) {
        i++; // 'Z'
      } else if (zone === 43 || zone === 45) {
        const oh = digitsAt(text, i + 1, 2);
        if (oh < 0 || oh > 15) return undefined;
        i += 3;
        let om = 0;
        if (i < len) {
          if (text.charCodeAt(i) === 58) i++;
          om = digitsAt(text, i, 2);
          if (om < 0 || om > 59) return undefined;
          i += 2;
        }
        offset = (zone === 45 ? -1 : 1) * (oh * 3600 + om * 60);
      } else {
        return undefined;
      }
    }
    if (i !== len || hour > 23 || minute > 59 || second > 59) return undefined;
  }
  const seconds =
    (daysFromCivil(year, month, day) - PG_EPOCH_DAYS) * 86400 + hour * 3600 + minute * 60 + second - offset;
  return { seconds, micros };
}
