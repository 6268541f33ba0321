import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BudgetParkError } from '../../src/errors.js';
import { InProcessBudgets, sleep, TokenBucketBudget, UnlimitedBudget } from '../../src/http/rate-budget.js';

const T0 = Date.UTC(2024, 0, 1);

/** Issue `n` acquires at once; record when each is granted (fake clock) and in which order. */
function launch(budget: TokenBucketBudget | UnlimitedBudget, n: number, signal?: AbortSignal) {
  const grants: { i: number; at: number }[] = [];
  const errors: unknown[] = [];
  const all = Array.from({ length: n }, (_, i) =>
    budget.acquire(signal).then(
      () => {
        grants.push({ i, at: Date.now() });
      },
      (err) => {
        errors.push(err);
      },
    ),
  );
  return { grants, errors, done: Promise.all(all) };
}

/** The largest number of grants inside any window of `windowMs` (closed at both ends). */
function maxInWindow(times: number[], windowMs: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  let j = 0;
  for (let i = 0; i < t.length; i++) {
    while (t[i]! - t[j]! > windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('TokenBucketBudget (fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('never grants more than the limit in any 60-second window, and does use most of it', async () => {
    const budget = new TokenBucketBudget(600);
    const { grants, done } = launch(budget, 1500);
    await vi.advanceTimersByTimeAsync(200_000);
    await done;
    expect(grants).toHaveLength(1500);
    const times = grants.map((g) => g.at);
    expect(maxInWindow(times, 60_000)).toBeLessThanOrEqual(600);
    expect(times.filter((t) => t < T0 + 60_000).length).toBeGreaterThanOrEqual(570);
    expect(maxInWindow(times, 1000)).toBeLessThanOrEqual(600 / 60 + 6);
    expect(budget.stats().acquired).toBe(1500);
  });

  it('holds the limit for a small limit too', async () => {
    const budget = new TokenBucketBudget(30);
    const { grants, done } = launch(budget, 100);
    await vi.advanceTimersByTimeAsync(300_000);
    await done;
    expect(grants).toHaveLength(100);
    expect(
      maxInWindow(
        grants.map((g) => g.at),
        60_000,
      ),
    ).toBeLessThanOrEqual(30);
  });

  it('serves waiters first come, first served', async () => {
    const budget = new TokenBucketBudget(600);
    const { grants, done } = launch(budget, 100);
    await vi.advanceTimersByTimeAsync(20_000);
    await done;
    expect(grants.map((g) => g.i)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    for (let k = 1; k < grants.length; k++) expect(grants[k]!.at).toBeGreaterThanOrEqual(grants[k - 1]!.at);
  });

  it('grants a small burst at once and then spaces requests at the sustained rate', async () => {
    const budget = new TokenBucketBudget(600);
    const { grants, done } = launch(budget, 30);
    await vi.advanceTimersByTimeAsync(0);
    const immediate = grants.length;
    expect(immediate).toBeGreaterThanOrEqual(1);
    expect(immediate).toBeLessThanOrEqual(6);
    await vi.advanceTimersByTimeAsync(10_000);
    await done;
    const later = grants.slice(immediate).map((g) => g.at);
    for (let k = 1; k < later.length; k++) expect(later[k]! - later[k - 1]!).toBeGreaterThanOrEqual(99);
  });

  it('reports the time each caller waited', async () => {
    const budget = new TokenBucketBudget(600);
    const waits: number[] = [];
    const all = Array.from({ length: 20 }, () => budget.acquire().then((w) => waits.push(w)));
    await vi.advanceTimersByTimeAsync(5000);
    await Promise.all(all);
    expect(waits[0]).toBe(0);
    expect(Math.max(...waits)).toBeGreaterThan(1000);
    expect(budget.stats().waitMs).toBe(waits.reduce((a, b) => a + b, 0));
  });

  it('pause() delays every acquirer, including those already waiting, until the pause ends', async () => {
    const budget = new TokenBucketBudget(600);
    const first = launch(budget, 30);
    await vi.advanceTimersByTimeAsync(300);
    const grantedBefore = first.grants.length;
    expect(grantedBefore).toBeGreaterThan(0);
    expect(grantedBefore).toBeLessThan(30);
    const pausedAt = Date.now();
    budget.pause(5000);
    const second = launch(budget, 10);
    await vi.advanceTimersByTimeAsync(30_000);
    await Promise.all([first.done, second.done]);
    const after = [...first.grants.slice(grantedBefore), ...second.grants];
    expect(after).toHaveLength(30 - grantedBefore + 10);
    for (const g of after) expect(g.at).toBeGreaterThanOrEqual(pausedAt + 5000);
    expect(budget.stats().pauses).toBe(1);
  });

  it('restarts after a pause at the sustained rate, without a burst', async () => {
    const budget = new TokenBucketBudget(600);
    budget.pause(2000);
    const { grants, done } = launch(budget, 40);
    await vi.advanceTimersByTimeAsync(20_000);
    await done;
    const end = T0 + 2000;
    expect(Math.min(...grants.map((g) => g.at))).toBeGreaterThanOrEqual(end);
    expect(grants.filter((g) => g.at < end + 500).length).toBeLessThanOrEqual(6);
  });

  it('a shorter pause never shortens a longer one', async () => {
    const budget = new TokenBucketBudget(600);
    budget.pause(3000);
    budget.pause(500);
    expect(budget.stats().pauses).toBe(1);
    const { grants, done } = launch(budget, 1);
    await vi.advanceTimersByTimeAsync(10_000);
    await done;
    expect(grants[0]!.at).toBeGreaterThanOrEqual(T0 + 3000);
  });

  it('rejects an acquire whose signal aborts while it waits, and keeps serving the others', async () => {
    const budget = new TokenBucketBudget(600);
    const ac = new AbortController();
    const others = launch(budget, 10);
    const aborted = budget.acquire(ac.signal);
    const caught = aborted.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(50);
    ac.abort(new Error('stop'));
    expect(await caught).toEqual(new Error('stop'));
    await vi.advanceTimersByTimeAsync(5000);
    await others.done;
    expect(others.grants).toHaveLength(10);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const budget = new TokenBucketBudget(600);
    await expect(budget.acquire(AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
  });

  it('rejects a limit that is not positive', () => {
    expect(() => new TokenBucketBudget(0)).toThrow(RangeError);
    expect(() => new TokenBucketBudget(-5)).toThrow(RangeError);
    expect(() => new TokenBucketBudget(Number.NaN)).toThrow(RangeError);
    expect(new TokenBucketBudget(120).limitPerMinute).toBe(120);
  });
});

describe('TokenBucketBudget (real clock)', () => {
  it('spaces requests in real time', async () => {
    const budget = new TokenBucketBudget(6000, { burstFraction: 0 });
    const start = Date.now();
    for (let i = 0; i < 11; i++) await budget.acquire();
    const elapsed = Date.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(95);
    expect(elapsed).toBeLessThan(1000);
  });
});

describe('UnlimitedBudget', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('grants at once without a pause', async () => {
    const budget = new UnlimitedBudget();
    const { grants, done } = launch(budget, 1000);
    await vi.advanceTimersByTimeAsync(0);
    await done;
    expect(grants).toHaveLength(1000);
    expect(grants.every((g) => g.at === T0)).toBe(true);
    expect(budget.limitPerMinute).toBe(Number.POSITIVE_INFINITY);
  });

  it('pause() delays every acquirer until it ends, also pauses longer than a second', async () => {
    const budget = new UnlimitedBudget();
    budget.pause(3500);
    budget.pause(100);
    const { grants, done } = launch(budget, 5);
    await vi.advanceTimersByTimeAsync(3499);
    expect(grants).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(10);
    await done;
    expect(grants).toHaveLength(5);
    for (const g of grants) expect(g.at).toBeGreaterThanOrEqual(T0 + 3500);
    expect(budget.stats()).toMatchObject({ acquired: 5, pauses: 1 });
  });

  it('rejects a paused acquire when its signal aborts', async () => {
    const budget = new UnlimitedBudget();
    budget.pause(10_000);
    const ac = new AbortController();
    const caught = budget.acquire(ac.signal).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    ac.abort(new Error('cancelled'));
    expect(await caught).toEqual(new Error('cancelled'));
  });
});

describe('max wait (parking)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('TokenBucketBudget: a wait longer than maxWaitMs rejects with BudgetParkError and reserves nothing', async () => {
    const budget = new TokenBucketBudget(60); // one slot every 1020 ms (1 s at 98%), burst 1
    const interval = 60_000 / (60 * 0.98);
    await budget.acquire();
    const err = await budget.acquire(undefined, { maxWaitMs: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetParkError);
    expect((err as BudgetParkError).resumeAt).toBeCloseTo(T0 + interval, 0);
    expect((err as BudgetParkError).waitMs).toBeCloseTo(interval, 0);
    // The slot the parked caller declined is the next caller's: it waits one interval, not two.
    const next = budget.acquire();
    await vi.advanceTimersByTimeAsync(1100);
    expect(await next).toBeLessThanOrEqual(Math.ceil(interval));
    expect(budget.stats().acquired).toBe(2);
  });

  it('the registry-wide max wait applies to every budget it hands out, limited or not', async () => {
    const reg = new InProcessBudgets({ maxWaitMs: 500 });
    const limited = reg.forCredential('h1', 60);
    await limited.acquire();
    await expect(limited.acquire()).rejects.toBeInstanceOf(BudgetParkError);
    const unlimited = reg.forCredential('h2', undefined);
    unlimited.pause(10_000);
    await expect(unlimited.acquire()).rejects.toBeInstanceOf(BudgetParkError);
    // A caller that accepts the wait still waits the pause out.
    const patient = unlimited.acquire(undefined, { maxWaitMs: 20_000 });
    await vi.advanceTimersByTimeAsync(10_001);
    expect(await patient).toBeGreaterThanOrEqual(10_000);
  });
});

describe('InProcessBudgets (the default BudgetRegistry)', () => {
  it('shares one budget per credential and limit', () => {
    const reg = new InProcessBudgets();
    const a = reg.forCredential('hash-a', 600);
    expect(reg.forCredential('hash-a', 600)).toBe(a);
    expect(a).toBeInstanceOf(TokenBucketBudget);
    expect(a.limitPerMinute).toBe(600);
    expect(reg.forCredential('hash-b', 600)).not.toBe(a);
    expect(reg.forCredential('hash-a', 300)).not.toBe(a);
  });

  it('gives an unlimited budget when there is no limit', () => {
    const reg = new InProcessBudgets();
    expect(reg.forCredential('h', undefined)).toBeInstanceOf(UnlimitedBudget);
    expect(reg.forCredential('h', 0)).toBeInstanceOf(UnlimitedBudget);
    expect(reg.forCredential('h', 0)).toBe(reg.forCredential('h', 0));
  });
});

describe('sleep', () => {
  it('resolves after the delay', async () => {
    const start = Date.now();
    await sleep(30);
    expect(Date.now() - start).toBeGreaterThanOrEqual(28);
  });

  it('rejects with the abort reason, at once or during the sleep', async () => {
    await expect(sleep(10_000, AbortSignal.abort(new Error('pre')))).rejects.toThrow('pre');
    const ac = new AbortController();
    const start = Date.now();
    const p = sleep(10_000, ac.signal);
    setTimeout(() => ac.abort(new Error('mid')), 10);
    await expect(p).rejects.toThrow('mid');
    expect(Date.now() - start).toBeLessThan(1000);
  });
});
