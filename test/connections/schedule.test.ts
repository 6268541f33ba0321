/** Schedules: `every` durations, cron expressions in IANA time zones, and next runs across DST changes. */
import { describe, expect, it } from 'vitest';
import {
  checkCron,
  checkTimeZone,
  describeSchedule,
  nextRun,
  parseDuration,
} from '../../src/connections/schedule.js';

describe('schedules', () => {
  it('parses every durations in s, m, h and d, and refuses anything else', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    for (const bad of ['0m', '15', 'm', '1.5h', '-5m', '15 minutes', '1w', '']) {
      expect(() => parseDuration(bad), bad).toThrow(/is not a duration/);
    }
  });

  it('refuses a bad cron expression or an unknown time zone with a clear reason', () => {
    expect(() => checkCron('0 * * * *', 'Europe/Paris')).not.toThrow();
    expect(() => checkCron('@daily', 'UTC')).not.toThrow();
    expect(() => checkCron('61 * * * *', 'UTC')).toThrow(/not a valid cron expression: .*0-59/);
    expect(() => checkCron('0 0 * * * *', 'UTC')).toThrow(/has 6 fields/);
    expect(() => checkTimeZone('Europe/Atlantis')).toThrow(/unknown time zone "Europe\/Atlantis"/);
    expect(() => checkCron('0 * * * *', 'Nowhere')).toThrow(/unknown time zone/);
  });

  it('every runs on multiples of its interval, strictly after from', () => {
    const every15m = { everyMs: 900_000 };
    expect(nextRun(every15m, new Date('2026-01-01T10:07:00Z')).toISOString()).toBe(
      '2026-01-01T10:15:00.000Z',
    );
    expect(nextRun(every15m, new Date('2026-01-01T10:15:00Z')).toISOString()).toBe(
      '2026-01-01T10:30:00.000Z',
    );
  });

  it('a cron in a time zone keeps its local hour across a DST change', () => {
    const at9Paris = { cron: '0 9 * * *', tz: 'Europe/Paris' };
    // Paris moves from UTC+1 to UTC+2 on 2026-03-29: 09:00 local is 08:00Z before and 07:00Z after.
    const first = nextRun(at9Paris, new Date('2026-03-28T06:00:00Z'));
    expect(first.toISOString()).toBe('2026-03-28T08:00:00.000Z');
    expect(nextRun(at9Paris, first).toISOString()).toBe('2026-03-29T07:00:00.000Z');
    // And back on 2026-10-25.
    expect(nextRun(at9Paris, new Date('2026-10-24T12:00:00Z')).toISOString()).toBe(
      '2026-10-25T08:00:00.000Z',
    );
    // The same cron in UTC ignores Paris's clocks.
    expect(nextRun({ cron: '0 9 * * *', tz: 'UTC' }, first).toISOString()).toBe('2026-03-28T09:00:00.000Z');
  });

  it('describes schedules in words', () => {
    expect(describeSchedule(undefined)).toBe('manual only');
    expect(describeSchedule({ everyMs: 900_000 })).toBe('every 15 minutes');
    expect(describeSchedule({ everyMs: 3_600_000 })).toBe('every hour');
    expect(describeSchedule({ everyMs: 90_000 })).toBe('every 90 seconds');
    expect(describeSchedule({ cron: '0 * * * *', tz: 'Europe/Paris' })).toBe('cron 0 * * * * (Europe/Paris)');
  });
});
