import { describe, expect, it } from 'vitest';
import { FaultPlan } from '../../src/simulator/faults.js';
import { asciiJson, JsonWriter } from '../../src/simulator/json-writer.js';
import { LiveDataset } from '../../src/simulator/live-dataset.js';
import { OpaqueIds } from '../../src/simulator/opaque-id.js';
import { Prefetcher } from '../../src/simulator/prefetch.js';
import { hashInts, mix32, Rng, unmix32 } from '../../src/simulator/prng.js';
import { parseQuery, splitBracketKey } from '../../src/simulator/query.js';
import { SlidingWindowLimiter } from '../../src/simulator/rate-limiter.js';
import { RequestLog } from '../../src/simulator/request-log.js';
import { type Bound, SlotSequence } from '../../src/simulator/slot-sequence.js';
import { isoDate, isoMicros, isoMillis } from '../../src/simulator/timestamps.js';

describe('prng', () => {
  it('mix32 is a bijection undone by unmix32', () => {
    const rng = new Rng(7);
    for (let i = 0; i < 10_000; i++) {
      const x = Math.floor(rng.next() * 2 ** 32);
      expect(unmix32(mix32(x))).toBe(x);
    }
  });

  it('same seed, same sequence; different seed, different sequence', () => {
    const a = new Rng(hashInts(42, 1, 2));
    const b = new Rng(hashInts(42, 1, 2));
    const c = new Rng(hashInts(43, 1, 2));
    const sa = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(sa);
    expect(sa.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe('OpaqueIds', () => {
  it('mints 24-character alphanumeric ids that decode back to their index', () => {
    const ids = new OpaqueIds(42, 99);
    const seen = new Set<string>();
    for (const i of [0, 1, 2, 61, 62, 1000, 999_999, 123_456_789, 2 ** 32 - 1]) {
      const id = ids.id(i);
      expect(id).toMatch(/^[0-9A-Za-z]{24}$/);
      expect(ids.index(id)).toBe(i);
      seen.add(id);
    }
    expect(seen.size).toBe(9);
  });

  it('rejects ids it did not mint', () => {
    const ids = new OpaqueIds(42, 99);
    const other = new OpaqueIds(42, 100);
    expect(ids.index(other.id(5))).toBeUndefined();
    expect(ids.index('short')).toBeUndefined();
    expect(ids.index(`${ids.id(5).slice(0, 23)}!`)).toBeUndefined();
    expect(ids.index(`x${ids.id(5).slice(1)}`)).toBeUndefined();
  });
});

describe('SlotSequence', () => {
  /** The same question answered by brute force over an explicit array. */
  function naive(size: number, excluded: number[], list: number[]): number[] {
    const ex = new Set(excluded);
    return [...Array.from({ length: size }, (_, i) => i).filter((i) => !ex.has(i)), ...list];
  }

  it('pages forwards and backwards around exclusions like a plain array', () => {
    const rng = new Rng(3);
    for (let round = 0; round < 200; round++) {
      const size = rng.int(40);
      const excluded = [...new Set(Array.from({ length: rng.int(10) }, () => rng.int(Math.max(1, size))))]
        .filter((x) => x < size)
        .sort((a, b) => a - b);
      const list = Array.from({ length: rng.int(5) }, (_, i) => 100 + i);
      const seq = SlotSequence.of(size, excluded, list);
      const all = naive(size, excluded, list);
      expect(seq.length).toBe(all.length);
      expect([...seq]).toEqual(all);
      const skip = rng.int(all.length + 3);
      const limit = rng.int(12);
      expect(seq.page(skip, limit)).toEqual(all.slice(skip, skip + limit));
      expect(seq.page(skip, limit, true)).toEqual([...all].reverse().slice(skip, skip + limit));
    }
  });

  it('narrows by key bounds with binary search', () => {
    // Keys: base index i has key 10*i; listed slots have key 1000 + slot.
    const keys = { base: (i: number) => 10 * i, live: (s: number) => 1000 + s };
    const seq = SlotSequence.of(50, [3, 4, 20], [100, 101, 102]);
    const all = [...seq];
    const keyOf = (s: number) => (s >= 100 ? 1000 + s : 10 * s);
    const rng = new Rng(11);
    for (let round = 0; round < 300; round++) {
      const lo: Bound | undefined = rng.chance(0.7)
        ? { value: rng.int(1200), inclusive: rng.chance(0.5) }
        : undefined;
      const hi: Bound | undefined = rng.chance(0.7)
        ? { value: rng.int(1200), inclusive: rng.chance(0.5) }
        : undefined;
      const expected = all.filter((s) => {
        const k = keyOf(s);
        if (lo && (lo.inclusive ? k < lo.value : k <= lo.value)) return false;
        if (hi && (hi.inclusive ? k > hi.value : k >= hi.value)) return false;
        return true;
      });
      const narrowed = seq.within(keys, lo, hi);
      expect([...narrowed]).toEqual(expected);
      expect(narrowed.length).toBe(expected.length);
      expect(narrowed.page(1, 5, true)).toEqual([...expected].reverse().slice(1, 6));
    }
  });
});

describe('LiveDataset', () => {
  const base = { size: 5, json: (i: number) => `{"i":${i}}` };

  it('overlays creates, replaces and deletes on the generated base', () => {
    const d = new LiveDataset(base);
    expect([...d.inSlotOrder()]).toEqual([0, 1, 2, 3, 4]);
    const v0 = d.version;
    d.replace(1, '{"i":1,"v":2}');
    d.remove(3);
    const slot = d.create((s) => `{"i":${s}}`);
    expect(slot).toBe(5);
    expect(d.version).toBeGreaterThan(v0);
    expect(d.size).toBe(5);
    expect([...d.inSlotOrder()]).toEqual([0, 1, 2, 4, 5]);
    // Write order: untouched base slots, then written ones oldest write first.
    expect([...d.inWriteOrder()]).toEqual([0, 2, 4, 1, 5]);
    d.replace(1, '{"i":1,"v":3}');
    expect([...d.inWriteOrder()]).toEqual([0, 2, 4, 5, 1]);
    expect(d.json(1)).toBe('{"i":1,"v":3}');
    expect(d.json(3)).toBeUndefined();
    expect(d.has(3)).toBe(false);
    expect(d.isPristine(0)).toBe(true);
    expect(d.isPristine(1)).toBe(false);
  });
});

describe('SlidingWindowLimiter', () => {
  it('allows `limit` requests per window per credential and says when a slot frees', () => {
    let now = 1_000_000;
    const limiter = new SlidingWindowLimiter(3, 60_000, () => now);
    expect(limiter.take('a').allowed).toBe(true);
    now += 10_000;
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(true);
    const refused = limiter.take('a');
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 50 });
    // Another credential has its own window.
    expect(limiter.take('b').allowed).toBe(true);
    // Refused requests are not recorded: once the first request ages out, one more gets in.
    now += 50_000;
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
  });

  it('is off at 0', () => {
    const limiter = new SlidingWindowLimiter(0);
    for (let i = 0; i < 100; i++) expect(limiter.take('a').allowed).toBe(true);
  });
});

describe('FaultPlan', () => {
  it('serves failNext first, then draws by rate with its seed', () => {
    const plan = new FaultPlan({ rate: 0.5, kinds: ['500', '503'], seed: 9 }, 42);
    plan.failNext(2, 'reset');
    expect(plan.draw()).toBe('reset');
    expect(plan.draw()).toBe('reset');
    const drawn = Array.from({ length: 200 }, () => plan.draw());
    const again = new FaultPlan({ rate: 0.5, kinds: ['500', '503'], seed: 9 }, 42);
    expect(Array.from({ length: 200 }, () => again.draw())).toEqual(drawn);
    const faults = drawn.filter((d) => d !== undefined);
    expect(faults.length).toBeGreaterThan(60);
    expect(faults.length).toBeLessThan(140);
    expect(new Set(faults)).toEqual(new Set(['500', '503']));
  });

  it('rejects unknown kinds', () => {
    // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
    expect(() => new FaultPlan({ kinds: ['404' as any] }, 1)).toThrow(/unknown fault kind/);
  });
});

describe('RequestLog', () => {
  it('keeps only the newest entries but counts every list request', () => {
    const log = new RequestLog(3);
    for (let i = 0; i < 5; i++) {
      log.add({ method: 'GET', path: `/${i}`, query: {}, status: 200, at: i });
      log.countList(i % 2 ? 'a' : 'b');
    }
    expect(log.entries().map((e) => e.path)).toEqual(['/2', '/3', '/4']);
    expect(log.listCount()).toBe(5);
    expect(log.listCount('a')).toBe(2);
    log.reset();
    expect(log.entries()).toEqual([]);
    expect(log.listCount()).toBe(0);
  });
});

describe('query parsing', () => {
  it('decodes %24 and brackets and keeps the last of repeated keys', () => {
    const q = parseQuery('?%24limit=5&updatedAt%5B%24gte%5D=2024-01-01&a=1&a=2');
    expect(q.last).toEqual({ $limit: '5', 'updatedAt[$gte]': '2024-01-01', a: '2' });
    expect(q.entries).toHaveLength(4);
    expect(parseQuery('').entries).toEqual([]);
  });

  it('splits bracket keys', () => {
    expect(splitBracketKey('updatedAt[$gte]')).toEqual(['updatedAt', '$gte']);
    expect(splitBracketKey('status[$in][]')).toEqual(['status', '$in', '']);
    expect(splitBracketKey('plain')).toEqual(['plain']);
    expect(splitBracketKey('bad[')).toBeUndefined();
    expect(splitBracketKey('[x]')).toBeUndefined();
  });
});

describe('timestamps', () => {
  it('match Date#toISOString', () => {
    const rng = new Rng(5);
    for (let i = 0; i < 2000; i++) {
      const ms = Date.UTC(2020, 0, 1) + rng.int(2 ** 31) * 3;
      expect(isoMillis(ms)).toBe(new Date(ms).toISOString());
      expect(isoDate(ms)).toBe(new Date(ms).toISOString().slice(0, 10));
      expect(isoMicros(ms, 7)).toBe(new Date(ms).toISOString().replace('Z', '007Z'));
    }
  });
});

describe('JSON writing', () => {
  it('JsonWriter builds valid JSON', () => {
    const text = new JsonWriter()
      .str('a', 'x')
      .str('b', null)
      .num('c', 1.5)
      .bool('d', false)
      .raw('e', '{"f":[1]}')
      .strs('g', ['h', 'i'])
      .text('j', 'quote " and é')
      .append(',"k":null')
      .end();
    expect(JSON.parse(text)).toEqual({
      a: 'x',
      b: null,
      c: 1.5,
      d: false,
      e: { f: [1] },
      g: ['h', 'i'],
      j: 'quote " and é',
      k: null,
    });
  });

  it('asciiJson escapes everything outside ASCII', () => {
    const text = asciiJson({ name: 'Zoë 日本 \u007f' });
    expect(/^[\x20-\x7e]*$/.test(text)).toBe(true);
    expect(JSON.parse(text)).toEqual({ name: 'Zoë 日本 \u007f' });
  });
});

describe('Prefetcher', () => {
  it('builds when idle, hands a value out once, and keeps at most `capacity`', async () => {
    const p = new Prefetcher<string>(2);
    let builds = 0;
    p.prepare('a', () => `a${++builds}`);
    p.prepare('a', () => `a${++builds}`);
    expect(p.take('a')).toBeUndefined();
    await new Promise((r) => setImmediate(r));
    expect(builds).toBe(1);
    expect(p.take('a')).toBe('a1');
    expect(p.take('a')).toBeUndefined();
    for (const k of ['x', 'y', 'z']) p.prepare(k, () => k);
    await new Promise((r) => setImmediate(r));
    expect([p.take('x'), p.take('y'), p.take('z')]).toEqual([undefined, 'y', 'z']);
  });

  it('recognises offset paging, not cursor paging', () => {
    const p = new Prefetcher<string>();
    expect(p.inSequence('q', 0, 10)).toBe(false);
    expect(p.inSequence('q', 10, 10)).toBe(true);
    expect(p.inSequence('q', 20, 10)).toBe(true);
    expect(p.inSequence('q', 40, 10)).toBe(false);
    expect(p.inSequence('cursor=1', 0, 10)).toBe(false);
    expect(p.inSequence('cursor=2', 0, 10)).toBe(false);
  });
});
