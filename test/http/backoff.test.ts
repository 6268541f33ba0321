import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, parseRetryAfter } from '../../src/http/backoff.js';

describe('backoffDelay', () => {
  const opts = { baseMs: 100, maxMs: 1000 };

  it('doubles per attempt, from half to all of the step', () => {
    for (const [attempt, step] of [
      [0, 100],
      [1, 200],
      [2, 400],
      [3, 800],
    ] as const) {
      expect(backoffDelay(attempt, opts, () => 0)).toBe(step / 2);
      expect(backoffDelay(attempt, opts, () => 0.5)).toBe((step * 3) / 4);
      expect(backoffDelay(attempt, opts, () => 0.999999)).toBe(step);
    }
  });

  it('never exceeds the cap', () => {
    for (let attempt = 4; attempt < 40; attempt++) {
      expect(backoffDelay(attempt, opts, () => 0.999999)).toBe(1000);
      expect(backoffDelay(attempt, opts, () => 0)).toBe(500);
    }
  });

  it('stays within [d/2, d] with the real random source', () => {
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(2, opts);
      expect(d).toBeGreaterThanOrEqual(200);
      expect(d).toBeLessThanOrEqual(400);
    }
  });

  it('has sane defaults', () => {
    expect(backoffDelay(0, DEFAULT_BACKOFF, () => 1)).toBe(DEFAULT_BACKOFF.baseMs);
    expect(backoffDelay(100, DEFAULT_BACKOFF, () => 1)).toBe(DEFAULT_BACKOFF.maxMs);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2024, 4, 1, 12, 0, 0);

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(' 3 ', now)).toBe(3000);
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
  });

  it('reads an HTTP-date relative to now', () => {
    expect(parseRetryAfter(new Date(now + 42_000).toUTCString(), now)).toBe(42_000);
    expect(parseRetryAfter('Wed, 01 May 2024 12:01:00 GMT', now)).toBe(60_000);
  });

  it('gives 0 for a date in the past', () => {
    expect(parseRetryAfter(new Date(now - 5000).toUTCString(), now)).toBe(0);
  });

  it('takes the first value of a repeated header', () => {
    expect(parseRetryAfter(['2', '9'], now)).toBe(2000);
  });

  it('returns undefined when absent or unreadable', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('   ', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter([], now)).toBeUndefined();
  });

  it('defaults now to the current time', () => {
    const ms = parseRetryAfter(new Date(Date.now() + 10_000).toUTCString());
    expect(ms).toBeGreaterThan(8000);
    expect(ms).toBeLessThanOrEqual(10_000);
  });
});
