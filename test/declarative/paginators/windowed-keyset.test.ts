/**
 * Parallel keyset windows (WindowedKeyset, through OffsetPaginator with `maxWindows`) against an in-memory
 * Feathers list: the same records as the sequential keyset, exactly once, with ties at every window
 * boundary, a skewed range, kills at many points, and a server that breaks its contract.
 */
import { describe, expect, it } from 'vitest';
import { OffsetPaginator } from '../../../src/declarative/paginators/offset-paginator.js';
import type { PaginationContext, RawPage } from '../../../src/declarative/paginators/paginator.js';
import { BASE, FakeFeathers, type Item, WINDOW } from '../../helpers/fake-feathers.js';
import { collectPages } from '../../helpers/declarative.js';

const PAGE = 50;
const pager = (maxWindows: number) =>
  new OffsetPaginator({
    limitParam: '$limit',
    offsetParam: '$skip',
    pageSize: PAGE,
    totalPath: ['total'],
    maxWindows,
  });

const INC = {
  ...WINDOW,
  tieBreakerParam: '$sort[id]',
  idField: 'id',
  upperFilterParam: 'updatedAt[$lt]',
};

/** Counts requests in flight at once, to see that windows really overlap. */
function tracked(api: FakeFeathers) {
  let inFlight = 0;
  const stats = { maxInFlight: 0 };
  const fetch: PaginationContext['fetch'] = async (url, signal) => {
    inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
    try {
      // A little latency, so the windows' requests do overlap.
      await new Promise((r) => setTimeout(r, 2));
      signal?.throwIfAborted();
      return await api.fetch(url);
    } finally {
      inFlight--;
    }
  };
  return { fetch, stats };
}

function ctx(
  fetch: PaginationContext['fetch'],
  state?: Record<string, unknown>,
  startBound?: string,
): PaginationContext {
  return { baseUrl: new URL(BASE), fetch, state, incremental: { ...INC, startBound } };
}

const idsOf = (pages: RawPage[]) => pages.flatMap((p) => p.records.map((r) => String(r.id)));
const iso = (ms: number) => new Date(ms).toISOString();
const T0 = Date.UTC(2024, 0, 1);

/**
 * 3,000 records: 1,200 share one instant (a run of ties 24 pages long), 1,000 spread two or three to a
 * minute over 400 minutes (ties wherever a cut falls), and 800 one millisecond apart (a skewed burst).
 */
function dataset(): Item[] {
  const out: Item[] = [];
  let n = 0;
  const add = (ms: number) =>
    out.push({ id: `r${String(n++).padStart(5, '0')}`, updatedAt: iso(ms), version: 0 });
  for (let i = 0; i < 1000; i++) add(T0 + Math.floor(i / 2.5) * 60_000);
  for (let i = 0; i < 1200; i++) add(T0 + 200 * 60_000 + 30_000);
  for (let i = 0; i < 800; i++) add(T0 + 500 * 60_000 + i);
  return out;
}

describe('WindowedKeyset', () => {
  it('reads the same records as the sequential keyset, each once, several windows at a time', async () => {
    const data = dataset();
    const seq = await collectPages(pager(1).pages(ctx(new FakeFeathers(data.map((r) => ({ ...r }))).fetch)));
    const api = new FakeFeathers(data.map((r) => ({ ...r })));
    const t = tracked(api);
    const par = await collectPages(pager(8).pages(ctx(t.fetch)));
    const got = idsOf(par);
    expect(new Set(got).size).toBe(got.length);
    expect([...got].sort()).toEqual(idsOf(seq).sort());
    expect(got.length).toBe(data.length);
    // Windows were really used: bounded requests, several at once.
    expect(api.requests.some((u) => u.searchParams.has('updatedAt[$lt]'))).toBe(true);
    expect(t.stats.maxInFlight).toBeGreaterThan(1);
    // Only the last page completes the cursor, at the newest record; a full-history read carries its total.
    const last = par[par.length - 1]!;
    expect(par.filter((p) => p.checkpoint.in_progress === false)).toHaveLength(1);
    expect(last.checkpoint).toEqual({ cursor: seq[seq.length - 1]!.checkpoint.cursor, in_progress: false });
    expect(last.expectedCount).toBe(data.length);
  });

  it('keeps window boundaries half-open: a cut at an instant shared by many records loses none', async () => {
    // Every record at one of four instants, 300 each: any cut falls on ties.
    const data: Item[] = Array.from({ length: 1200 }, (_, i) => ({
      id: `t${String(i).padStart(4, '0')}`,
      updatedAt: iso(T0 + (i % 4) * 3),
    }));
    const api = new FakeFeathers(data);
    const pages = await collectPages(pager(6).pages(ctx(tracked(api).fetch)));
    const got = idsOf(pages);
    expect(new Set(got).size).toBe(1200);
    expect(got.length).toBe(1200);
  });

  it('resumes exactly after a kill at any point: no record lost, none twice, finished windows not re-read', async () => {
    const data = dataset();
    for (const every of [1, 2, 3, 5, 8, 13, 21]) {
      const api = new FakeFeathers(data.map((r) => ({ ...r })));
      const t = tracked(api);
      const got: string[] = [];
      let state: Record<string, unknown> | undefined;
      let runs = 0;
      for (; runs < 500; runs++) {
        // The state a resume gets is the checkpoint of the last page the consumer took (committed).
        const pages = await collectPages(pager(8).pages(ctx(t.fetch, state)), every);
        got.push(...idsOf(pages));
        state = pages[pages.length - 1]!.checkpoint;
        if (state.in_progress === false) break;
        expect(Array.isArray(state.windows)).toBe(true);
      }
      expect(state?.in_progress, `kill every ${every} pages`).toBe(false);
      expect(runs).toBeGreaterThan(1);
      const counts = new Map<string, number>();
      for (const id of got) counts.set(id, (counts.get(id) ?? 0) + 1);
      const twice = [...counts].filter(([, c]) => c > 1);
      expect(twice, `kill every ${every} pages`).toEqual([]);
      expect(counts.size).toBe(data.length);
    }
  });

  it('keeps the committed prefix as the cursor while windows are open', async () => {
    const data = dataset();
    const pages = await collectPages(pager(8).pages(ctx(tracked(new FakeFeathers(data)).fetch)));
    let prev = '';
    for (const p of pages.slice(0, -1)) {
      const c = p.checkpoint;
      const windows = c.windows as Array<{ lo?: string; cursor?: string }>;
      // The cursor is where the lowest open window stands; every other open window starts above it.
      expect(c.cursor).toBe(windows[0]!.cursor ?? windows[0]!.lo);
      for (const w of windows.slice(1))
        expect(Date.parse(w.lo!)).toBeGreaterThanOrEqual(Date.parse(String(c.cursor)));
      // The prefix never moves backwards.
      if (prev !== '' && c.cursor !== undefined)
        expect(Date.parse(String(c.cursor))).toBeGreaterThanOrEqual(Date.parse(prev));
      if (c.cursor !== undefined) prev = String(c.cursor);
    }
  });

  it('reads records updated while it pages (they move to the open-ended window), and ends', async () => {
    const data = dataset();
    const api = new FakeFeathers(data.map((r) => ({ ...r })));
    let clock = T0 + 10_000 * 60_000;
    api.beforeAnswer = (i) => {
      // Every 7th request, move two records (maybe not read yet) to the newest end. Not from the run of 1,200
      // ties: a run longer than a page is paged by count, and a record leaving it after it was read shifts
      // the rest (a limit of the keyset itself, sequential or not: docs/parallel-windows.md).
      if (i % 7 === 3)
        for (const k of [i % 1000, 2200 + ((i * 13) % 800)]) api.update(data[k]!.id, iso(clock++));
    };
    const first = await collectPages(pager(8).pages(ctx(tracked(api).fetch)));
    api.beforeAnswer = undefined;
    const cursor = String(first[first.length - 1]!.checkpoint.cursor);
    // The next incremental sync starts from the cursor (no lookback here): together they hold every record's
    // newest version.
    const second = await collectPages(
      pager(8).pages(ctx(tracked(api).fetch, { cursor, in_progress: false }, cursor)),
    );
    const newest = new Map<string, unknown>();
    for (const p of [...first, ...second]) for (const r of p.records) newest.set(String(r.id), r.version);
    expect(newest.size).toBe(data.length);
    for (const r of api.items) expect(newest.get(r.id), r.id).toBe(r.version);
  });

  it('fails loudly when the server ignores the upper filter, and never completes the cursor', async () => {
    const api = new FakeFeathers(dataset());
    api.ignoreUpper = true;
    const pages: RawPage[] = [];
    await expect(
      (async () => {
        for await (const p of pager(8).pages(ctx(tracked(api).fetch))) pages.push(p);
      })(),
    ).rejects.toMatchObject({ code: 'TRB_SOURCE_CONTRACT', message: expect.stringMatching(/upper bound/) });
    expect(pages.some((p) => p.checkpoint.in_progress === false)).toBe(false);
  });

  it('learns a capped $limit in every window and still reads everything', async () => {
    const data = dataset();
    const api = new FakeFeathers(data);
    api.cap = 20;
    const got = idsOf(await collectPages(pager(8).pages(ctx(tracked(api).fetch))));
    expect(new Set(got).size).toBe(data.length);
    expect(got.length).toBe(data.length);
  });

  it('fails loudly when ties come back in a different order per request (no id tie-break honoured)', async () => {
    const api = new FakeFeathers(dataset());
    api.honoursIdSort = false;
    let seed = 1;
    api.shuffleTies = () => {
      seed = (seed * 16807) % 2147483647;
      return seed;
    };
    await expect(collectPages(pager(8).pages(ctx(tracked(api).fetch)))).rejects.toMatchObject({
      code: 'TRB_SOURCE_CONTRACT',
    });
  });

  it('resumes a sequential keyset checkpoint as one window, then splits it', async () => {
    const data = dataset();
    const seqPages = await collectPages(pager(1).pages(ctx(new FakeFeathers(data).fetch)), 3);
    const state = seqPages[2]!.checkpoint;
    expect(state.windows).toBeUndefined();
    const api = new FakeFeathers(data);
    const rest = await collectPages(pager(8).pages(ctx(tracked(api).fetch, state)));
    const got = [...idsOf(seqPages), ...idsOf(rest)];
    expect(new Set(got).size).toBe(data.length);
    expect(got.length).toBe(data.length);
    expect(api.requests.some((u) => u.searchParams.has('updatedAt[$lt]'))).toBe(true);
  });
});
