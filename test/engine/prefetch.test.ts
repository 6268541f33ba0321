import { describe, expect, it } from 'vitest';
import { prefetch } from '../../src/engine/prefetch.js';

const tick = (ms = 0) => new Promise((r) => (ms > 0 ? setTimeout(r, ms) : setImmediate(r)));

/** A source that counts how far it has been pulled and whether it was closed. */
function counted(n: number, opts: { delay?: (i: number) => number; failAt?: number } = {}) {
  const state = { produced: 0, closed: false, finished: false };
  async function* gen(): AsyncGenerator<number> {
    try {
      for (let i = 0; i < n; i++) {
        const d = opts.delay?.(i) ?? 0;
        await tick(d);
        if (i === opts.failAt) throw new Error(`item ${i} failed`);
        state.produced++;
        yield i;
      }
      state.finished = true;
    } finally {
      state.closed = true;
    }
  }
  return { state, source: gen() };
}

describe('prefetch', () => {
  it('yields every item in order', async () => {
    for (const depth of [1, 2, 5, 50]) {
      const { source } = counted(20, { delay: (i) => (i % 3) * 2 });
      const out: number[] = [];
      for await (const v of prefetch(source, depth)) out.push(v);
      expect(out, `depth ${depth}`).toEqual(Array.from({ length: 20 }, (_, i) => i));
    }
  });

  it('passes through when depth is 0', async () => {
    const { source, state } = counted(5);
    const out: number[] = [];
    for await (const v of prefetch(source, 0)) {
      out.push(v);
      expect(state.produced).toBe(v + 1);
    }
    expect(out).toEqual([0, 1, 2, 3, 4]);
  });

  it('reads ahead while the consumer is busy, but never more than `depth` items', async () => {
    for (const depth of [2, 4]) {
      const { source, state } = counted(30);
      let consumed = 0;
      let maxAhead = 0;
      for await (const _v of prefetch(source, depth)) {
        consumed++;
        await tick(3);
        maxAhead = Math.max(maxAhead, state.produced - consumed);
      }
      expect(consumed).toBe(30);
      expect(maxAhead, `depth ${depth}`).toBeLessThanOrEqual(depth);
      expect(maxAhead, `depth ${depth}`).toBeGreaterThanOrEqual(depth - 1);
    }
  });

  it('overlaps producing with consuming', async () => {
    const { source } = counted(10, { delay: () => 20 });
    const start = Date.now();
    for await (const _v of prefetch(source, 2)) await tick(20);
    const elapsed = Date.now() - start;
    expect(elapsed).toBeLessThan(380);
  });

  it('keeps `depth` reads outstanding while the consumer holds an item, even at depth 1', async () => {
    for (const depth of [1, 3]) {
      const { source, state } = counted(10);
      let consumed = 0;
      let ahead = 0;
      for await (const _v of prefetch(source, depth)) {
        consumed++;
        // While the consumer is busy, the source is pulled up to `depth` items past the one it holds.
        await tick(5);
        ahead = Math.max(ahead, state.produced - consumed);
      }
      expect(ahead, `depth ${depth}`).toBe(depth);
    }
  });

  it('overlaps producing with consuming at depth 1', async () => {
    const { source } = counted(10, { delay: () => 20 });
    const start = Date.now();
    for await (const _v of prefetch(source, 1)) await tick(20);
    // Sequential would take 10 × (20 + 20) ms; overlapped about 10 × 20 ms.
    expect(Date.now() - start).toBeLessThan(380);
  });

  it('surfaces an error after the items before it, and closes nothing twice', async () => {
    const { source, state } = counted(10, { failAt: 4 });
    const out: number[] = [];
    await expect(
      (async () => {
        for await (const v of prefetch(source, 3)) out.push(v);
      })(),
    ).rejects.toThrow('item 4 failed');
    expect(out).toEqual([0, 1, 2, 3]);
    expect(state.closed).toBe(true);
  });

  it('surfaces an error thrown by the first item', async () => {
    const { source } = counted(3, { failAt: 0 });
    await expect(
      (async () => {
        for await (const _v of prefetch(source, 2)) {
          /* nothing */
        }
      })(),
    ).rejects.toThrow('item 0 failed');
  });

  it('closes the source when the consumer stops early', async () => {
    const { source, state } = counted(1000);
    let n = 0;
    for await (const _v of prefetch(source, 4)) {
      if (++n === 3) break;
    }
    expect(state.closed).toBe(true);
    expect(state.finished).toBe(false);
    expect(state.produced).toBeLessThanOrEqual(3 + 4);
  });

  it('closes the source when the consumer throws', async () => {
    const { source, state } = counted(1000);
    await expect(
      (async () => {
        for await (const v of prefetch(source, 2)) if (v === 5) throw new Error('consumer failed');
      })(),
    ).rejects.toThrow('consumer failed');
    expect(state.closed).toBe(true);
    expect(state.produced).toBeLessThanOrEqual(6 + 2);
  });

  it('handles an empty source', async () => {
    const { source, state } = counted(0);
    const out: number[] = [];
    for await (const v of prefetch(source, 3)) out.push(v);
    expect(out).toEqual([]);
    expect(state.finished).toBe(true);
  });
});
