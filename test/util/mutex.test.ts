import { describe, expect, it } from 'vitest';
import { Mutex } from '../../src/util/mutex.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Mutex', () => {
  it('runs one task at a time, in arrival order', async () => {
    const m = new Mutex();
    let running = 0;
    let maxRunning = 0;
    const order: number[] = [];
    const results = await Promise.all(
      [30, 5, 20, 0, 10].map((ms, i) =>
        m.run(async () => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          order.push(i);
          await tick(ms);
          running--;
          return i * 10;
        }),
      ),
    );
    expect(maxRunning).toBe(1);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(results).toEqual([0, 10, 20, 30, 40]);
  });

  it('passes a failure to its caller and keeps going with the next task', async () => {
    const m = new Mutex();
    const order: string[] = [];
    const a = m.run(async () => {
      order.push('a');
      throw new Error('a failed');
    });
    const b = m.run(async () => {
      order.push('b');
      return 'b ok';
    });
    const c = m.run(() => {
      order.push('c');
      throw new Error('c threw synchronously');
    });
    const d = m.run(async () => 'd ok');
    await expect(a).rejects.toThrow('a failed');
    await expect(b).resolves.toBe('b ok');
    await expect(c).rejects.toThrow('c threw synchronously');
    await expect(d).resolves.toBe('d ok');
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('a task queued while another runs starts only after it ends', async () => {
    const m = new Mutex();
    const events: string[] = [];
    const first = m.run(async () => {
      events.push('first start');
      await tick(20);
      events.push('first end');
    });
    await tick(5);
    const second = m.run(async () => {
      events.push('second start');
    });
    await Promise.all([first, second]);
    expect(events).toEqual(['first start', 'first end', 'second start']);
  });

  it('separate mutexes do not block each other', async () => {
    const a = new Mutex();
    const b = new Mutex();
    let release: () => void = () => undefined;
    const blocker = a.run(() => new Promise<void>((r) => (release = r)));
    await expect(b.run(async () => 'free')).resolves.toBe('free');
    release();
    await blocker;
  });
});
