/**
 * Parallel offset pages in a plain pass with a total (OffsetPaginator with `maxWindows`, OffsetPlan): the same
 * pages and checkpoints as one page at a time, several requests out at once, and the plan dropped and redone
 * when the server's pages do not end where it assumed (capped page size, an empty page asked again).
 */
import { describe, expect, it } from 'vitest';
import { OffsetPaginator } from '../../../src/declarative/paginators/offset-paginator.js';
import type { PaginationContext } from '../../../src/declarative/paginators/paginator.js';
import { BASE, FakeFeathers, items } from '../../helpers/fake-feathers.js';
import { collectPages } from '../../helpers/declarative.js';

const offsets = (pageSize: number, maxWindows: number) =>
  new OffsetPaginator({
    limitParam: '$limit',
    offsetParam: '$skip',
    pageSize,
    totalPath: ['total'],
    maxWindows,
  });

function tracked(api: FakeFeathers) {
  let inFlight = 0;
  const stats = { maxInFlight: 0, aborted: 0 };
  const fetch: PaginationContext['fetch'] = async (url, signal) => {
    inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
    signal?.addEventListener('abort', () => stats.aborted++);
    try {
      await new Promise((r) => setTimeout(r, 2));
      return await api.fetch(url);
    } finally {
      inFlight--;
    }
  };
  return { fetch, stats };
}

const data = () => items(Array.from({ length: 1000 }, (_, i) => i));
const ctx = (fetch: PaginationContext['fetch'], state?: Record<string, unknown>): PaginationContext => ({
  baseUrl: new URL(BASE),
  fetch,
  state,
  idField: 'id',
});

describe('OffsetPaginator, several offset pages at once', () => {
  it('yields the same pages and checkpoints as one page at a time, with several requests out', async () => {
    const seq = await collectPages(offsets(50, 1).pages(ctx(new FakeFeathers(data()).fetch)));
    const t = tracked(new FakeFeathers(data()));
    const par = await collectPages(offsets(50, 8).pages(ctx(t.fetch)));
    expect(par.map((p) => [p.records.map((r) => r.id), p.checkpoint, p.expectedCount])).toEqual(
      seq.map((p) => [p.records.map((r) => r.id), p.checkpoint, p.expectedCount]),
    );
    expect(par.at(-1)!.expectedCount).toBe(1000);
    expect(t.stats.maxInFlight).toBeGreaterThan(1);
    expect(t.stats.maxInFlight).toBeLessThanOrEqual(8);
  });

  it('learns a capped page size and plans again from where the pages are', async () => {
    const api = new FakeFeathers(data());
    api.cap = 30;
    const pages = await collectPages(offsets(50, 8).pages(ctx(tracked(api).fetch)));
    const ids = pages.flatMap((p) => p.records.map((r) => r.id));
    expect(ids).toEqual(data().map((r) => r.id));
    expect(pages.at(-1)!.expectedCount).toBe(1000);
  });

  it('asks an empty page again and still reads everything once', async () => {
    const api = new FakeFeathers(data());
    let emptied = false;
    const t = tracked(api);
    const fetch: PaginationContext['fetch'] = async (url, signal) => {
      const res = await t.fetch(url, signal);
      if (!emptied && url.searchParams.get('$skip') === '300') {
        emptied = true;
        return { ...res, records: [] };
      }
      return res;
    };
    const pages = await collectPages(offsets(50, 8).pages(ctx(fetch)));
    expect(pages.flatMap((p) => p.records.map((r) => r.id))).toEqual(data().map((r) => r.id));
  });

  it('resumes from a checkpoint like one page at a time', async () => {
    const first = await collectPages(offsets(50, 8).pages(ctx(tracked(new FakeFeathers(data())).fetch)), 5);
    const rest = await collectPages(
      offsets(50, 8).pages(ctx(tracked(new FakeFeathers(data())).fetch, first.at(-1)!.checkpoint)),
    );
    expect([...first, ...rest].flatMap((p) => p.records.map((r) => r.id))).toEqual(data().map((r) => r.id));
  });

  it('aborts the planned requests when the consumer stops', async () => {
    const t = tracked(new FakeFeathers(data()));
    await collectPages(offsets(50, 8).pages(ctx(t.fetch)), 2);
    expect(t.stats.aborted).toBeGreaterThan(0);
  });
});
