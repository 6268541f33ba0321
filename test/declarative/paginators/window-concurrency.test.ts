/** How many windows a stream keeps in flight: AIMD on 429s and slow answers, bounded, and a gate that holds to it. */
import { describe, expect, it } from 'vitest';
import { WindowConcurrency } from '../../../src/declarative/paginators/window-concurrency.js';

const fast = { latencyMs: 100, throttled: false, budgetWaited: false };

describe('WindowConcurrency', () => {
  it('starts at 2, doubles on fast answers up to the max, and logs each change', () => {
    const changes: number[] = [];
    const c = new WindowConcurrency(16, (k) => changes.push(k));
    expect(c.limit).toBe(2);
    for (let i = 0; i < 100; i++) c.observe(fast);
    expect(c.limit).toBe(16);
    expect(changes).toEqual([4, 8, 16]);
  });

  it('halves on a 429 and then grows by one at a time', () => {
    const c = new WindowConcurrency(16);
    for (let i = 0; i < 100; i++) c.observe(fast);
    c.observe({ ...fast, throttled: true });
    expect(c.limit).toBe(8);
    for (let i = 0; i < 8; i++) c.observe(fast);
    expect(c.limit).toBe(9);
  });

  it('narrows on answers much slower than the fastest, unless the rate budget made them wait', () => {
    const c = new WindowConcurrency(8);
    for (let i = 0; i < 100; i++) c.observe(fast);
    expect(c.limit).toBe(8);
    for (let i = 0; i < 40; i++) c.observe({ ...fast, latencyMs: 2000, budgetWaited: true });
    expect(c.limit).toBe(8);
    for (let i = 0; i < 8; i++) c.observe({ ...fast, latencyMs: 2000 });
    expect(c.limit).toBe(7);
    // Never below one.
    for (let i = 0; i < 20; i++) c.observe({ ...fast, throttled: true });
    expect(c.limit).toBe(1);
  });

  it('never lets more than K acquire at once, and wakes waiters when K grows', async () => {
    const c = new WindowConcurrency(4);
    await c.acquire();
    await c.acquire();
    let third = false;
    const p = c.acquire().then(() => {
      third = true;
    });
    await Promise.resolve();
    expect(third).toBe(false);
    c.observe(fast);
    c.observe(fast);
    await p;
    expect(third).toBe(true);
    expect(c.limit).toBe(4);
  });

  it('rejects a waiter whose signal aborts', async () => {
    const c = new WindowConcurrency(1, undefined, 1);
    await c.acquire();
    const stop = new AbortController();
    const p = c.acquire(stop.signal);
    stop.abort(new Error('stopped'));
    await expect(p).rejects.toThrow('stopped');
    c.release();
    await c.acquire();
  });
});
