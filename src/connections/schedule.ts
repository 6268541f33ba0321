/**
 * When a connection runs: `every` a fixed interval, or on a `cron` expression in an IANA time zone. Cron
 * expressions and their time zones are parsed by cron-parser, so the CLI, the scheduler and the BullMQ job
 * schedulers agree on every next run, across daylight-saving changes too.
 */
import { CronExpressionParser } from 'cron-parser';

/** A parsed schedule: a fixed interval in milliseconds, or a cron expression in a time zone. */
export type Schedule = { everyMs: number } | { cron: string; tz: string };

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const UNIT_WORDS = { s: 'second', m: 'minute', h: 'hour', d: 'day' } as const;

/**
 * Milliseconds of a duration written `30s`, `15m`, `2h` or `1d` (a positive whole number and one unit).
 * Throws a plain Error whose message says what is accepted; callers add the file, connection and field.
 */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+)\s*([smhd])\s*$/.exec(text);
  const n = m ? Number(m[1]) : 0;
  if (!m || n <= 0 || !Number.isSafeInteger(n)) {
    throw new Error(
      `${JSON.stringify(text)} is not a duration; write a positive whole number and a unit: 30s, 15m, 2h or 1d`,
    );
  }
  return n * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** Throws a plain Error naming the zone when `tz` is not an IANA time zone this runtime knows. */
export function checkTimeZone(tz: string): void {
  try {
    // Intl knows the same IANA database cron-parser (through Luxon) uses, and names a bad zone clearly.
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new Error(`unknown time zone ${JSON.stringify(tz)}; use an IANA name such as Europe/Paris or UTC`);
  }
}

/** Throws a plain Error with cron-parser's reason when `cron` is not a valid expression. */
export function checkCron(cron: string, tz: string): void {
  checkTimeZone(tz);
  const fields = cron.trim().split(/\s+/);
  // cron-parser also takes a leading seconds field; schedules are per minute, so five fields (or an @alias).
  if (!cron.trim().startsWith('@') && fields.length !== 5) {
    throw new Error(
      `${JSON.stringify(cron)} has ${fields.length} field${fields.length === 1 ? '' : 's'}; a cron expression has five: minute hour day-of-month month day-of-week`,
    );
  }
  try {
    CronExpressionParser.parse(cron, { tz }).next();
  } catch (err) {
    throw new Error(`${JSON.stringify(cron)} is not a valid cron expression: ${(err as Error).message}`);
  }
}

/**
 * The first run strictly after `from`. An `every` schedule runs on multiples of its interval since the Unix
 * epoch (every 15m: :00, :15, :30, :45 UTC), so every process computes the same next run without knowing
 * the last one.
 */
export function nextRun(schedule: Schedule, from: Date = new Date()): Date {
  if ('everyMs' in schedule) {
    return new Date((Math.floor(from.getTime() / schedule.everyMs) + 1) * schedule.everyMs);
  }
  return CronExpressionParser.parse(schedule.cron, { tz: schedule.tz, currentDate: from }).next().toDate();
}

/** A schedule in words, for listings: "every 15 minutes", "cron 0 * * * * (Europe/Paris)". */
export function describeSchedule(schedule: Schedule | undefined): string {
  if (schedule === undefined) return 'manual only';
  if ('cron' in schedule) return `cron ${schedule.cron} (${schedule.tz})`;
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit];
    if (schedule.everyMs % size === 0) {
      const n = schedule.everyMs / size;
      return n === 1 ? `every ${UNIT_WORDS[unit]}` : `every ${n} ${UNIT_WORDS[unit]}s`;
    }
  }
  return `every ${schedule.everyMs} ms`;
}
