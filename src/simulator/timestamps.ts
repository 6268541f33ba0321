/**
 * Fast UTC timestamp formatting. `Date#toISOString` costs about a microsecond, which is a third of the
 * budget for generating a record at benchmark speed; the date part is cached per day.
 */

const TWO: string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const THREE: string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
const DAY_MS = 86_400_000;

/** `YYYY-MM-DDT` by day number since 1970; generators touch a few thousand distinct days at most. */
const dayPrefixes: string[] = [];

function dayPrefix(day: number): string {
  let prefix = dayPrefixes[day];
  if (prefix === undefined) {
    prefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    if (day >= 0 && day < 200_000) dayPrefixes[day] = prefix;
  }
  return prefix;
}

function clock(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  let rest = ms - day * DAY_MS;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = Math.floor(rest / 1000);
  return `${dayPrefix(day)}${TWO[h]}:${TWO[m]}:${TWO[s]}.${THREE[rest - s * 1000]}`;
}

/** `2020-01-28T08:44:42.000Z`, the same text as `new Date(ms).toISOString()` for integral ms. */
export function isoMillis(ms: number): string {
  return `${clock(ms)}Z`;
}

/** `2023-05-01T12:34:56.789012Z`: Django REST framework's microsecond form; `micros` is 0..999. */
export function isoMicros(ms: number, micros: number): string {
  return `${clock(ms)}${THREE[micros]}Z`;
}

/** `YYYY-MM-DD` of the UTC day containing `ms`. */
export function isoDate(ms: number): string {
  return dayPrefix(Math.floor(ms / DAY_MS)).slice(0, 10);
}

export { DAY_MS };
