import { describe, expect, it } from 'vitest';
import { OffsetPaginator } from '../../../src/declarative/paginators/offset-paginator.js';
import type { PaginationContext, RawPage } from '../../../src/declarative/paginators/paginator.js';
import { BASE, FakeFeathers, type Item, items, ts, WINDOW } from '../../helpers/fake-feathers.js';
import { collectPages } from '../../helpers/declarative.js';

const plain = (pageSize: number, totalPath?: string[]) =>
  new OffsetPaginator({ limitParam: '$limit', offsetParam: '$skip', pageSize, totalPath });

function ctxFor(api: FakeFeathers, opts: Partial<PaginationContext> = {}): PaginationContext {
  return { baseUrl: new URL(BASE), fetch: api.fetch, state: undefined, ...opts };
}

const ids = (pages: RawPage[]) => pages.flatMap((p) => p.records.map((r) => String(r.id)));
const allIds = (list: Item[]) => list.map((r) => r.id).sort();

/** A small seeded PRNG so the randomized tests are reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('OffsetPaginator, plain offsets', () => {
  it('pages with $skip/$limit until a short page', async () => {
    const api = new FakeFeathers(items([1, 2, 3, 4, 5, 6, 7]));
    const pages = await collectPages(plain(3).pages(ctxFor(api)));
    expect(ids(pages)).toEqual(allIds(api.items));
    expect(api.requests.map((u) => [u.searchParams.get('$skip'), u.searchParams.get('$limit')])).toEqual([
      ['0', '3'],
      ['3', '3'],
      ['6', '3'],
    ]);
    expect(pages.map((p) => p.checkpoint)).toEqual([
      { skip: 3, in_progress: true },
      { skip: 6, in_progress: true },
      { skip: 7, in_progress: false },
    ]);
    expect(pages.map((p) => p.position)).toEqual([
      { page: 0, firstIndex: 0 },
      { page: 1, firstIndex: 3 },
      { page: 2, firstIndex: 6 },
    ]);
  });

  it('keeps the query parameters already on the base URL', async () => {
    const api = new FakeFeathers(items([1]));
    await collectPages(plain(3).pages(ctxFor(api, { baseUrl: new URL(`${BASE}?personId=p1`) })));
    expect(api.requests[0]!.searchParams.get('personId')).toBe('p1');
  });

  it('needs one empty request to end an exact multiple without a total', async () => {
    const api = new FakeFeathers(items([1, 2, 3, 4, 5, 6]));
    const pages = await collectPages(plain(3).pages(ctxFor(api)));
    expect(api.requests).toHaveLength(3);
    expect(pages.at(-1)).toMatchObject({ records: [], checkpoint: { skip: 6, in_progress: false } });
  });

  it('stops on the total without an extra request when the last page is short', async () => {
    const api = new FakeFeathers(items([1, 2, 3, 4, 5]));
    const pages = await collectPages(plain(3, ['total']).pages(ctxFor(api)));
    expect(api.requests).toHaveLength(2);
    expect(ids(pages)).toEqual(allIds(api.items));
    expect(pages.at(-1)!.checkpoint).toEqual({ skip: 5, in_progress: false });
  });

  it('confirms a last page that is exactly full with one more request (a total too low must not end the pass)', async () => {
    const api = new FakeFeathers(items([1, 2, 3, 4, 5, 6]));
    const pages = await collectPages(plain(3, ['total']).pages(ctxFor(api)));
    expect(api.requests.map((u) => u.searchParams.get('$skip'))).toEqual(['0', '3', '6']);
    expect(ids(pages)).toEqual(allIds(api.items));
    expect(pages.at(-1)!.checkpoint).toEqual({ skip: 6, in_progress: false });
  });

  it('plain: an empty page while the total says more is asked for again, and the pass goes on', async () => {
    const api = new FakeFeathers(items([1, 2, 3, 4, 5, 6, 7]));
    let calls = 0;
    const fetch: PaginationContext['fetch'] = async (url) => {
      const res = await api.fetch(url);
      if (++calls === 2) res.records = [];
      return res;
    };
    const pages = await collectPages(
      plain(3, ['total']).pages({ baseUrl: new URL(BASE), fetch, state: undefined }),
    );
    expect(ids(pages)).toEqual(allIds(api.items));
    expect(api.requests.map((u) => u.searchParams.get('$skip'))).toEqual(['0', '3', '3', '6']);
    expect(pages.at(-1)!.expectedCount).toBe(7);
  });

  it('reads nothing more than one request for an empty list', async () => {
    const api = new FakeFeathers([]);
    const pages = await collectPages(plain(3, ['total']).pages(ctxFor(api)));
    expect(api.requests).toHaveLength(1);
    expect(pages).toEqual([
      {
        records: [],
        bytes: expect.any(Number),
        checkpoint: { skip: 0, in_progress: false },
        position: { page: 0, firstIndex: 0 },
        expectedCount: 0,
        url: expect.any(URL),
        decision: { stop: 'the page is empty' },
      },
    ]);
  });

  it('resumes from an in-progress checkpoint and ignores a finished one', async () => {
    const api = new FakeFeathers(items([1, 2, 3, 4, 5, 6, 7]));
    const resumed = await collectPages(
      plain(3).pages(ctxFor(api, { state: { skip: 6, in_progress: true } })),
    );
    expect(api.requests[0]!.searchParams.get('$skip')).toBe('6');
    expect(ids(resumed)).toEqual(['r006']);
    expect(resumed[0]!.position.firstIndex).toBe(6);

    const api2 = new FakeFeathers(items([1, 2, 3, 4]));
    await collectPages(plain(3).pages(ctxFor(api2, { state: { skip: 3, in_progress: false } })));
    expect(api2.requests[0]!.searchParams.get('$skip')).toBe('0');
  });

  it('ends the stream when the fetcher says so', async () => {
    const api = new FakeFeathers(items([1, 2, 3, 4, 5, 6]));
    const fetch: PaginationContext['fetch'] = async (url) => {
      const page = await api.fetch(url);
      return Number(url.searchParams.get('$skip')) >= 3 ? { ...page, records: [], endOfStream: true } : page;
    };
    const pages = await collectPages(plain(3).pages({ baseUrl: new URL(BASE), fetch, state: undefined }));
    expect(pages).toHaveLength(2);
    expect(pages[1]!.checkpoint.in_progress).toBe(false);
  });
});

describe('OffsetPaginator, keyset incremental mode', () => {
  const keyset = (pageSize: number, totalPath?: string[]) => plain(pageSize, totalPath);
  const inc = (startBound?: string) => ({ ...WINDOW, startBound });

  it('filters on the bound, sorts by the cursor and reads every record', async () => {
    const api = new FakeFeathers(items([5, 1, 9, 3, 7, 2, 8, 4, 6, 10]));
    const pages = await collectPages(keyset(3).pages(ctxFor(api, { incremental: inc() })));
    expect(new Set(ids(pages))).toEqual(new Set(allIds(api.items)));
    expect(api.requests[0]!.searchParams.has('updatedAt[$gte]')).toBe(false);
    for (const u of api.requests) expect(u.searchParams.get('$sort[updatedAt]')).toBe('1');
    for (const u of api.requests.slice(1)) expect(u.searchParams.get('updatedAt[$gte]')).not.toBeNull();
    expect(pages.at(-1)!.checkpoint).toEqual({ cursor: ts(10), in_progress: false });
    for (const p of pages.slice(0, -1))
      expect(p.checkpoint).toMatchObject({ cursor: expect.any(String), in_progress: true });
  });

  it('with the id field known, yields every record exactly once although it re-reads page boundaries', async () => {
    const cases = [
      [5, 1, 9, 3, 7, 2, 8, 4, 6, 10],
      [1, 2, 2, 2, 2, 3, 3, 4, 5, 5, 5, 6],
      [1, 2, 2, 2, 2, 2, 2, 2, 3],
      [1, 1, 1, 2, 2, 2, 3, 3, 3],
    ];
    for (const cursors of cases) {
      const api = new FakeFeathers(items(cursors));
      const pages = await collectPages(
        keyset(3).pages(ctxFor(api, { incremental: { ...inc(), idField: 'id' } })),
      );
      expect(ids(pages).sort(), JSON.stringify(cursors)).toEqual(allIds(api.items));
    }
  });

  it('starts a pass at the start bound', async () => {
    const api = new FakeFeathers(items([1, 2, 3, 4, 5, 6]));
    const pages = await collectPages(keyset(10).pages(ctxFor(api, { incremental: inc(ts(4)) })));
    expect(api.requests[0]!.searchParams.get('updatedAt[$gte]')).toBe(ts(4));
    expect(ids(pages).sort()).toEqual(['r003', 'r004', 'r005']);
  });

  it('never loses a record when records share a timestamp across page boundaries', async () => {
    const cases = [
      [1, 2, 2, 2, 2, 3, 3, 4, 5, 5, 5, 6],
      [1, 2, 2, 2, 2, 2, 2, 2, 3],
      [7, 7, 7, 7, 7, 7],
      [1, 1, 1, 2, 2, 2, 3, 3, 3],
    ];
    for (const cursors of cases) {
      const api = new FakeFeathers(items(cursors));
      const pages = await collectPages(keyset(3).pages(ctxFor(api, { incremental: inc() })));
      expect(new Set(ids(pages)), JSON.stringify(cursors)).toEqual(new Set(allIds(api.items)));
      expect(pages.at(-1)!.checkpoint).toEqual({ cursor: ts(Math.max(...cursors)), in_progress: false });
      expect(api.requests.length).toBeLessThanOrEqual(cursors.length + 2);
    }
  });

  it('does not skip a record when an already-read record is updated and moves to the end', async () => {
    const api = new FakeFeathers(items([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    api.beforeAnswer = (i) => {
      if (i === 2) api.update('r001', ts(50));
    };
    const pages = await collectPages(keyset(3).pages(ctxFor(api, { incremental: inc() })));
    expect(new Set(ids(pages))).toEqual(new Set(allIds(api.items)));
    const seenUpdated = pages.flatMap((p) => p.records).some((r) => r.id === 'r001' && r.version === 1);
    expect(seenUpdated).toBe(true);
    expect(pages.at(-1)!.checkpoint).toEqual({ cursor: ts(50), in_progress: false });
  });

  it('does not skip a record when a read record that shares the boundary timestamp is updated', async () => {
    // Page 1 ends inside the group at minute 2 (r001, r002 read; r003, r004 not yet).
    const api = new FakeFeathers(items([1, 2, 2, 2, 2, 3, 4, 5]));
    api.beforeAnswer = (i) => {
      if (i === 1) api.update('r001', ts(60));
    };
    const pages = await collectPages(keyset(3).pages(ctxFor(api, { incremental: inc() })));
    expect(new Set(ids(pages))).toEqual(new Set(allIds(api.items)));
  });

  it('never loses a record under random updates while paging (ties smaller than a page)', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rand = mulberry32(seed);
      const cursors: number[] = [];
      for (let minute = 0; cursors.length < 60; minute++) {
        const n = Math.floor(rand() * 5);
        for (let k = 0; k < n; k++) cursors.push(minute);
      }
      const api = new FakeFeathers(items(cursors));
      const original = allIds(api.items);
      let clock = 1000;
      api.beforeAnswer = () => {
        if (rand() < 0.5) {
          const victim = api.items[Math.floor(rand() * api.items.length)]!;
          api.update(victim.id, ts(clock++));
        }
      };
      const pages = await collectPages(keyset(8).pages(ctxFor(api, { incremental: inc() })));
      const seen = new Set(ids(pages));
      const missing = original.filter((id) => !seen.has(id));
      expect(missing, `seed ${seed}`).toEqual([]);
    }
  });

  it('resumes from a mid-pass checkpoint and reads the rest', async () => {
    const cursors = [1, 2, 2, 3, 4, 4, 4, 5, 6, 7, 8, 8, 9];
    const api = new FakeFeathers(items(cursors));
    const first = await collectPages(keyset(3).pages(ctxFor(api, { incremental: inc() })), 2);
    const checkpoint = first.at(-1)!.checkpoint;
    expect(checkpoint).toMatchObject({
      cursor: expect.any(String),
      skip: expect.any(Number),
      in_progress: true,
    });

    const before = api.requests.length;
    const rest = await collectPages(
      keyset(3).pages(ctxFor(api, { incremental: inc(ts(0)), state: checkpoint })),
    );
    const resumedFirst = api.requests[before]!;
    expect(resumedFirst.searchParams.get('updatedAt[$gte]')).toBe(checkpoint.cursor);
    expect(resumedFirst.searchParams.get('$skip')).toBe(String(checkpoint.skip));
    expect(new Set([...ids(first), ...ids(rest)])).toEqual(new Set(allIds(api.items)));
    expect(rest.at(-1)!.checkpoint).toEqual({ cursor: ts(9), in_progress: false });
  });

  it('with the id field known, a resumed pass does not repeat the records it had already yielded', async () => {
    const cursors = [1, 2, 2, 3, 4, 4, 4, 5, 6, 7, 8, 8, 9];
    for (let stopAfter = 1; stopAfter <= 4; stopAfter++) {
      const api = new FakeFeathers(items(cursors));
      const incremental = { ...inc(), idField: 'id' };
      const first = await collectPages(keyset(3).pages(ctxFor(api, { incremental })), stopAfter);
      const checkpoint = first.at(-1)!.checkpoint;
      const rest = await collectPages(keyset(3).pages(ctxFor(api, { incremental, state: checkpoint })));
      expect([...ids(first), ...ids(rest)].sort(), `stopped after ${stopAfter}`).toEqual(allIds(api.items));
    }
  });

  it('resumes correctly when records changed while the sync was down', async () => {
    const api = new FakeFeathers(items([1, 2, 2, 2, 3, 4, 5, 6, 7]));
    const first = await collectPages(keyset(3).pages(ctxFor(api, { incremental: inc() })), 1);
    api.update('r001', ts(40));
    api.update('r005', ts(41));
    const rest = await collectPages(
      keyset(3).pages(ctxFor(api, { incremental: inc(), state: first[0]!.checkpoint })),
    );
    expect(new Set([...ids(first), ...ids(rest)])).toEqual(new Set(allIds(api.items)));
    expect(rest.at(-1)!.checkpoint).toEqual({ cursor: ts(41), in_progress: false });
  });

  it('never moves the committed cursor backwards on a pass that finds nothing newer', async () => {
    const api = new FakeFeathers(items([1, 2, 3]));
    const committed = ts(5);
    const pages = await collectPages(
      keyset(3).pages(
        ctxFor(api, { incremental: inc(committed), state: { cursor: committed, in_progress: false } }),
      ),
    );
    expect(pages).toHaveLength(1);
    expect(pages[0]!.records).toEqual([]);
    expect(pages[0]!.checkpoint).toEqual({ cursor: committed, in_progress: false });
  });

  it('keeps the committed cursor when a lookback re-reads only older records', async () => {
    const api = new FakeFeathers(items([1, 2, 3, 4]));
    const pages = await collectPages(
      keyset(3).pages(ctxFor(api, { incremental: inc(ts(3)), state: { cursor: ts(6), in_progress: false } })),
    );
    expect(ids(pages).sort()).toEqual(['r002', 'r003']);
    expect(pages.at(-1)!.checkpoint).toEqual({ cursor: ts(6), in_progress: false });
  });

  it('gives a null cursor on a first pass over an empty list', async () => {
    const api = new FakeFeathers([]);
    const pages = await collectPages(keyset(3).pages(ctxFor(api, { incremental: inc() })));
    expect(pages.map((p) => p.checkpoint)).toEqual([{ cursor: null, in_progress: false }]);
  });

  it('stops on the total without requesting an empty page', async () => {
    for (const n of [6, 7, 8, 9, 12]) {
      const api = new FakeFeathers(items(Array.from({ length: n }, (_, i) => i + 1)));
      const pages = await collectPages(keyset(3, ['total']).pages(ctxFor(api, { incremental: inc() })));
      expect(new Set(ids(pages)), `n=${n}`).toEqual(new Set(allIds(api.items)));
      for (const answered of api.answered) expect(answered.length, `n=${n}`).toBeGreaterThan(0);
      expect(pages.at(-1)!.checkpoint).toEqual({ cursor: ts(n), in_progress: false });
    }
  });
});

describe('OffsetPaginator, reading ahead', () => {
  const inc = { ...WINDOW, startBound: undefined, idField: 'id' };

  it('requests the next page before it yields the current one, in both modes', async () => {
    for (const incremental of [undefined, inc]) {
      const api = new FakeFeathers(items([1, 2, 3, 4, 5, 6, 7, 8]));
      const requestsAtYield: number[] = [];
      for await (const _p of plain(3).pages(ctxFor(api, { incremental })))
        requestsAtYield.push(api.requests.length);
      // Page k (1-based) is yielded once request k+1 has gone out; the last page needs none.
      const n = requestsAtYield.length;
      expect(n).toBeGreaterThanOrEqual(3);
      expect(requestsAtYield, JSON.stringify(incremental)).toEqual(
        requestsAtYield.map((_, k) => Math.min(k + 2, n)),
      );
    }
  });

  it('yields the same pages and checkpoints as a paginator that waits for each page', async () => {
    const cursors = [1, 2, 2, 2, 3, 4, 4, 5, 6, 6, 6, 6, 7, 8, 9, 9];
    for (const incremental of [undefined, inc]) {
      const eager = await collectPages(
        plain(3).pages(ctxFor(new FakeFeathers(items(cursors)), { incremental })),
      );
      // A consumer that pauses on every page: the request for the next page completes meanwhile.
      const slow: RawPage[] = [];
      for await (const p of plain(3).pages(ctxFor(new FakeFeathers(items(cursors)), { incremental }))) {
        await new Promise((r) => setTimeout(r, 2));
        slow.push(p);
      }
      expect(slow).toEqual(eager);
      expect(ids(eager).sort()).toEqual(allIds(items(cursors)));
    }
  });

  it('a pass resumed from any checkpoint repeats nothing and loses nothing', async () => {
    const cursors = [1, 2, 2, 3, 4, 4, 4, 5, 6, 7, 8, 8, 9, 10, 10, 11];
    for (let stopAfter = 1; stopAfter <= 5; stopAfter++) {
      const api = new FakeFeathers(items(cursors));
      const first = await collectPages(plain(3).pages(ctxFor(api, { incremental: inc })), stopAfter);
      const checkpoint = first.at(-1)!.checkpoint;
      const rest = await collectPages(plain(3).pages(ctxFor(api, { incremental: inc, state: checkpoint })));
      expect([...ids(first), ...ids(rest)].sort(), `stopped after ${stopAfter}`).toEqual(allIds(api.items));
    }
  });

  it('aborts the request read ahead when the consumer stops', async () => {
    const api = new FakeFeathers(items([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const signals: (AbortSignal | undefined)[] = [];
    const fetch: PaginationContext['fetch'] = (url, signal) => {
      signals.push(signal);
      return api.fetch(url);
    };
    const pages = await collectPages(plain(3).pages({ baseUrl: new URL(BASE), fetch, state: undefined }), 1);
    expect(pages).toHaveLength(1);
    expect(signals).toHaveLength(2);
    expect(signals[1]?.aborted).toBe(true);
  });

  it('a failed read-ahead request surfaces after the page before it', async () => {
    const api = new FakeFeathers(items([1, 2, 3, 4, 5, 6, 7]));
    const fetch: PaginationContext['fetch'] = async (url) => {
      if (url.searchParams.get('$skip') === '3') throw new Error('page 2 failed');
      return api.fetch(url);
    };
    const got: RawPage[] = [];
    await expect(
      (async () => {
        for await (const p of plain(3).pages({ baseUrl: new URL(BASE), fetch, state: undefined }))
          got.push(p);
      })(),
    ).rejects.toThrow('page 2 failed');
    expect(ids(got)).toEqual(['r000', 'r001', 'r002']);
  });

  it('an aborted stream signal stops the request read ahead', async () => {
    const controller = new AbortController();
    const api = new FakeFeathers(items([1, 2, 3, 4, 5, 6, 7]));
    const signals: (AbortSignal | undefined)[] = [];
    const fetch: PaginationContext['fetch'] = (url, signal) => {
      signals.push(signal);
      return api.fetch(url);
    };
    const gen = plain(3).pages({
      baseUrl: new URL(BASE),
      fetch,
      state: undefined,
      signal: controller.signal,
    });
    await gen.next();
    controller.abort(new Error('sync cancelled'));
    expect(signals[1]?.aborted).toBe(true);
    await gen.return(undefined);
  });
});

describe('OffsetPaginator, against an API that bends its contract', () => {
  const contract = (err: unknown) => (err as { code?: string }).code;
  const drain = async (gen: AsyncGenerator<RawPage>, into: RawPage[] = []) => {
    try {
      for await (const p of gen) into.push(p);
      return undefined;
    } catch (err) {
      return err;
    }
  };
  const minutes = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

  it('plain: a capped $limit (asked 250, served 100, total 1000) reads all 1,000 records', async () => {
    const api = new FakeFeathers(items(minutes(1000)));
    api.cap = 100;
    const pages = await collectPages(plain(250, ['total']).pages(ctxFor(api, { idField: 'id' })));
    expect(ids(pages)).toEqual(allIds(api.items));
    // Ten capped pages, then one request to confirm that the exactly full last page is the end.
    expect(api.requests.map((u) => u.searchParams.get('$skip'))).toEqual(
      Array.from({ length: 11 }, (_, i) => String(i * 100)),
    );
    for (const u of api.requests) expect(u.searchParams.get('$limit')).toBe('250');
    expect(pages[0]!.checkpoint).toEqual({ skip: 100, in_progress: true, total: 1000 });
    expect(pages.at(-1)).toMatchObject({
      checkpoint: { skip: 1000, in_progress: false },
      expectedCount: 1000,
    });
  });

  it('plain: fails when the total changes while paging (a record inserted at the front), naming both totals', async () => {
    const api = new FakeFeathers(items(minutes(30)));
    api.beforeAnswer = (i) => {
      if (i === 2) api.items.unshift({ id: 'new', updatedAt: ts(0) });
    };
    const pages: RawPage[] = [];
    const err = await drain(plain(10, ['total']).pages(ctxFor(api, { idField: 'id' })), pages);
    expect(err).toMatchObject({ code: 'TRB_SOURCE_CONTRACT', details: { expected: 30, seen: 31, page: 3 } });
    expect((err as Error).message).toContain(BASE);
    expect(pages.every((p) => p.checkpoint.in_progress === true)).toBe(true);
  });

  it('plain: a total too low is read past and then fails the proof', async () => {
    const api = new FakeFeathers(items([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const fetch: PaginationContext['fetch'] = async (url) => {
      const res = await api.fetch(url);
      (res.body as { total: number }).total = 6;
      return res;
    };
    const pages: RawPage[] = [];
    const err = await drain(
      plain(3, ['total']).pages({ baseUrl: new URL(BASE), fetch, state: undefined }),
      pages,
    );
    expect(api.requests.map((u) => u.searchParams.get('$skip'))).toEqual(['0', '3', '6', '9']);
    expect(err).toMatchObject({ code: 'TRB_SOURCE_CONTRACT' });
    expect(pages.every((p) => p.checkpoint.in_progress === true)).toBe(true);
  });

  it('plain: a total the records never reach fails the proof before the last page is yielded', async () => {
    const api = new FakeFeathers(items(minutes(25)));
    const fetch: PaginationContext['fetch'] = async (url) => {
      const res = await api.fetch(url);
      (res.body as { total: number }).total = 40;
      return res;
    };
    const pages: RawPage[] = [];
    const err = await drain(
      plain(10, ['total']).pages({ baseUrl: new URL(BASE), fetch, state: undefined }),
      pages,
    );
    // The records end at 25 while the total says 40: the empty page is asked for again (a glitch would clear),
    // then the pass fails naming the total, before the last page is yielded.
    expect(err).toMatchObject({
      code: 'TRB_SOURCE_CONTRACT',
      details: { emptyPages: 3, offset: 25, total: 40 },
    });
    expect(String(err)).toMatch(/total \(40\) says more records follow from offset 25/);
    expect(pages.every((p) => p.checkpoint.in_progress === true)).toBe(true);
  });

  it('plain: resumes with the total it started with, and starts over when it cannot prove a resume', async () => {
    const api = new FakeFeathers(items(minutes(25)));
    const first = await collectPages(plain(10, ['total']).pages(ctxFor(api)), 1);
    const rest = await collectPages(plain(10, ['total']).pages(ctxFor(api, { state: first[0]!.checkpoint })));
    expect([...ids(first), ...ids(rest)]).toEqual(allIds(api.items));
    expect(rest.at(-1)!.expectedCount).toBe(25);

    // A checkpoint without the total (written before checkpoints carried it) starts the pass over.
    const legacy = new FakeFeathers(items(minutes(25)));
    const all = await collectPages(
      plain(10, ['total']).pages(ctxFor(legacy, { state: { skip: 10, in_progress: true } })),
    );
    expect(legacy.requests[0]!.searchParams.get('$skip')).toBe('0');
    expect(ids(all)).toEqual(allIds(legacy.items));

    // The list changed while the sync was down: start over rather than resume at shifted offsets.
    const changed = new FakeFeathers(items(minutes(25)));
    changed.items.unshift({ id: 'new', updatedAt: ts(0) });
    const again = await collectPages(
      plain(10, ['total']).pages(ctxFor(changed, { state: { skip: 10, in_progress: true, total: 25 } })),
    );
    expect(changed.requests.map((u) => u.searchParams.get('$skip')).slice(0, 2)).toEqual(['10', '0']);
    expect(ids(again).sort()).toEqual(allIds(changed.items));
    expect(again.at(-1)!.expectedCount).toBe(26);
  });

  it('keyset: a capped $limit (asked 250, served 100, total 1000) reads all 1,000 records', async () => {
    for (const cursors of [minutes(1000), minutes(1000).map((m) => Math.floor(m / 7))]) {
      const api = new FakeFeathers(items(cursors));
      api.cap = 100;
      const incremental = { ...WINDOW, startBound: undefined, idField: 'id', tieBreakerParam: '$sort[id]' };
      const pages = await collectPages(plain(250, ['total']).pages(ctxFor(api, { incremental })));
      expect(ids(pages).sort()).toEqual(allIds(api.items));
      expect(pages.at(-1)).toMatchObject({ checkpoint: { in_progress: false }, expectedCount: 1000 });
      expect(api.requests.length).toBeLessThan(20);
    }
  });

  it('keyset: sends the id tie-breaker after the cursor sort', async () => {
    const api = new FakeFeathers(items([1, 2, 3]));
    const incremental = { ...WINDOW, startBound: undefined, idField: 'id', tieBreakerParam: '$sort[id]' };
    await collectPages(plain(10, ['total']).pages(ctxFor(api, { incremental })));
    const keys = [...api.requests[0]!.searchParams.keys()];
    expect(keys.indexOf('$sort[id]')).toBe(keys.indexOf('$sort[updatedAt]') + 1);
    expect(api.requests[0]!.searchParams.get('$sort[id]')).toBe('1');
  });

  it('keyset: a server that ignores $sort fails the pass on the first out-of-order page', async () => {
    const rand = mulberry32(7);
    const api = new FakeFeathers(items(minutes(1000).map(() => Math.floor(rand() * 5000))));
    api.ignoreSort = true;
    const pages: RawPage[] = [];
    const err = await drain(
      plain(100, ['total']).pages(
        ctxFor(api, { incremental: { ...WINDOW, startBound: undefined, idField: 'id' } }),
      ),
      pages,
    );
    expect(err).toMatchObject({ code: 'TRB_SOURCE_CONTRACT' });
    expect((err as Error).message).toMatch(/does not sort by updatedAt/);
    expect(pages).toEqual([]);
    expect(api.requests).toHaveLength(1);
  });

  it('keyset: a server that ignores updatedAt[$gte] fails quickly instead of looping', async () => {
    const api = new FakeFeathers(items(minutes(1000)));
    api.ignoreFilter = true;
    const pages: RawPage[] = [];
    const err = await drain(
      plain(100, ['total']).pages(
        ctxFor(api, { incremental: { ...WINDOW, startBound: undefined, idField: 'id' } }),
      ),
      pages,
    );
    expect(contract(err)).toBe('TRB_SOURCE_CONTRACT');
    expect((err as Error).message).toMatch(/below the bound .* ignores the filter/);
    expect(api.requests.length).toBeLessThanOrEqual(2);
    expect(pages.every((p) => p.checkpoint.in_progress === true)).toBe(true);

    // Also with a start bound: the very first page already shows it.
    const api2 = new FakeFeathers(items(minutes(1000)));
    api2.ignoreFilter = true;
    const err2 = await drain(
      plain(100, ['total']).pages(ctxFor(api2, { incremental: { ...WINDOW, startBound: ts(500) } })),
    );
    expect(contract(err2)).toBe('TRB_SOURCE_CONTRACT');
    expect(api2.requests).toHaveLength(1);
  });

  it('keyset: ties ordered differently on each request end in an exact copy or a contract error, never a gap', async () => {
    let exact = 0;
    let failed = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const rand = mulberry32(seed);
      // Runs of one timestamp from 1 to 25 records long, with pages of 10: some runs fill whole pages.
      const cursors: number[] = [];
      for (let minute = 0; cursors.length < 300; minute++) {
        const run = 1 + Math.floor(rand() * 25);
        for (let k = 0; k < run; k++) cursors.push(minute);
      }
      const api = new FakeFeathers(items(cursors));
      api.shuffleTies = rand;
      api.honoursIdSort = false;
      const incremental = { ...WINDOW, startBound: undefined, idField: 'id', tieBreakerParam: '$sort[id]' };
      const pages: RawPage[] = [];
      const err = await drain(plain(10, ['total']).pages(ctxFor(api, { incremental })), pages);
      if (err === undefined) {
        expect(new Set(ids(pages)), `seed ${seed}`).toEqual(new Set(allIds(api.items)));
        exact++;
      } else {
        expect(err, `seed ${seed}`).toMatchObject({ code: 'TRB_SOURCE_CONTRACT' });
        expect((err as Error).message).toMatch(/different order on the next request/);
        expect(pages.every((p) => p.checkpoint.in_progress === true)).toBe(true);
        failed++;
      }
    }
    // Whole-page runs make most seeds fail; the check must actually fire.
    expect(failed).toBeGreaterThan(0);
    expect(exact + failed).toBe(30);
  });

  it('keyset: with the id tie-breaker honoured, shuffled ties read exactly', async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const rand = mulberry32(seed);
      const cursors: number[] = [];
      for (let minute = 0; cursors.length < 300; minute++) {
        const run = 1 + Math.floor(rand() * 25);
        for (let k = 0; k < run; k++) cursors.push(minute);
      }
      const api = new FakeFeathers(items(cursors));
      api.shuffleTies = rand;
      const incremental = { ...WINDOW, startBound: undefined, idField: 'id', tieBreakerParam: '$sort[id]' };
      const pages = await collectPages(plain(10, ['total']).pages(ctxFor(api, { incremental })));
      expect(ids(pages).sort(), `seed ${seed}`).toEqual(allIds(api.items));
    }
  });

  it('keyset: a server that never stops serving newer records is stopped by the request cap', async () => {
    let k = 0;
    const fetch: PaginationContext['fetch'] = async (url) => {
      const data = [0, 1, 2].map(() => ({ id: `x${k}`, updatedAt: ts(k++) }));
      const body = { total: 10, data };
      return { records: data, body, bytes: 100, url, endOfStream: false };
    };
    const pages: RawPage[] = [];
    const err = await drain(
      plain(3, ['total']).pages({
        baseUrl: new URL(BASE),
        fetch,
        state: undefined,
        incremental: { ...WINDOW, startBound: undefined, idField: 'id' },
      }),
      pages,
    );
    expect(err).toMatchObject({ code: 'TRB_SOURCE_CONTRACT', details: { maxRequests: 10 + 2 * 4 + 10 } });
    expect(k / 3).toBeLessThanOrEqual(10 + 2 * 4 + 10 + 1);
  });

  it('keyset: a pass over all history carries the first total to its last page, through a resume', async () => {
    const api = new FakeFeathers(items([1, 2, 2, 3, 4, 4, 4, 5, 6, 7, 8, 8, 9]));
    const incremental = { ...WINDOW, startBound: undefined, idField: 'id', tieBreakerParam: '$sort[id]' };
    const first = await collectPages(plain(3, ['total']).pages(ctxFor(api, { incremental })), 2);
    expect(first.at(-1)!.checkpoint).toMatchObject({ count: 13, in_progress: true });
    const rest = await collectPages(
      plain(3, ['total']).pages(ctxFor(api, { incremental, state: first.at(-1)!.checkpoint })),
    );
    expect([...ids(first), ...ids(rest)].sort()).toEqual(allIds(api.items));
    expect(rest.at(-1)!.expectedCount).toBe(13);

    // A window with a lower bound is not the whole list: no count to prove against.
    const windowed = await collectPages(
      plain(3, ['total']).pages(ctxFor(api, { incremental: { ...incremental, startBound: ts(4) } })),
    );
    expect(windowed.at(-1)!.expectedCount).toBeUndefined();
  });
});
