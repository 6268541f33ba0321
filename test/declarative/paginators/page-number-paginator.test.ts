import { describe, expect, it } from 'vitest';
import { PageNumberPaginator } from '../../../src/declarative/paginators/page-number-paginator.js';
import type {
  FetchedPage,
  PaginationContext,
  RawPage,
} from '../../../src/declarative/paginators/paginator.js';

const BASE = 'https://acme.hellobaton.com/api/tasks/';

/**
 * A Django REST list endpoint in memory: `?page=&page_size=`, `{count, next, previous, results}`, 404 past
 * the end. It can bend its contract the way real APIs do: cap the page size, report a wrong count, answer
 * a page empty while its `next` says more, or change its list between requests (`beforeAnswer`).
 */
class FakeDjango {
  readonly requests: URL[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** Milliseconds before page `p` answers. */
  delay: (page: number) => number = () => 0;
  /** Throw for this page instead of answering. */
  failPage: number | undefined;
  withCount = true;
  withNext = true;
  /** The largest page the server serves, whatever page_size asks. */
  cap: number | undefined;
  /** The count the server reports instead of the true one. */
  reportedCount: number | undefined;
  /** Pages answered with no results but their usual `next`. */
  readonly emptyPages = new Set<number>();
  /** Called before each request is answered (1-based request number), to change the list. */
  beforeAnswer: ((request: number, page: number) => void) | undefined;
  /** The list's ids, in the server's order. */
  rows: number[];

  constructor(total: number) {
    this.rows = Array.from({ length: total }, (_, i) => i + 1);
  }

  get total(): number {
    return this.rows.length;
  }

  fetch = async (url: URL): Promise<FetchedPage> => {
    const u = new URL(url);
    this.requests.push(u);
    const request = this.requests.length;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const page = Number(u.searchParams.get('page') ?? 1);
      const asked = Number(u.searchParams.get('page_size') ?? 10);
      const size = this.cap === undefined ? asked : Math.min(asked, this.cap);
      const ms = this.delay(page);
      await new Promise((r) => (ms > 0 ? setTimeout(r, ms) : setImmediate(r)));
      this.beforeAnswer?.(request, page);
      if (page === this.failPage) throw new Error(`page ${page} failed`);
      const start = (page - 1) * size;
      if (page < 1 || (start >= this.total && page !== 1)) {
        return { records: [], body: undefined, bytes: 20, url: u, endOfStream: true };
      }
      const results = this.emptyPages.has(page)
        ? []
        : this.rows.slice(start, start + size).map((id) => ({ id }));
      const next = start + size < this.total ? new URL(u) : null;
      next?.searchParams.set('page', String(page + 1));
      const body: Record<string, unknown> = { results };
      if (this.withCount) body.count = this.reportedCount ?? this.total;
      if (this.withNext) body.next = next ? next.toString() : null;
      return { records: results, body, bytes: JSON.stringify(body).length, url: u, endOfStream: false };
    } finally {
      this.inFlight--;
    }
  };
}

function paginator(o: Partial<ConstructorParameters<typeof PageNumberPaginator>[0]> = {}) {
  return new PageNumberPaginator({
    pageParam: 'page',
    pageSizeParam: 'page_size',
    pageSize: 10,
    startPage: 1,
    concurrency: 1,
    ...o,
  });
}

function ctx(api: FakeDjango, state?: Record<string, unknown>, idField?: string): PaginationContext {
  return { baseUrl: new URL(BASE), fetch: api.fetch, state, idField };
}

async function collect(
  gen: AsyncGenerator<RawPage>,
  onPage?: (p: RawPage) => Promise<void> | void,
): Promise<RawPage[]> {
  const pages: RawPage[] = [];
  for await (const p of gen) {
    pages.push(p);
    await onPage?.(p);
  }
  return pages;
}

const ids = (pages: RawPage[]) => pages.flatMap((p) => p.records.map((r) => r.id as number));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const pageNumbers = (api: FakeDjango) => api.requests.map((u) => Number(u.searchParams.get('page')));

describe('PageNumberPaginator, sequential', () => {
  it('reads pages one after another and stops on the count without an extra request', async () => {
    const api = new FakeDjango(35);
    const pages = await collect(paginator({ countPath: ['count'] }).pages(ctx(api)));
    expect(ids(pages)).toEqual(range(1, 35));
    expect(pageNumbers(api)).toEqual([1, 2, 3, 4]);
    expect(api.maxInFlight).toBe(1);
    expect(api.requests[0]!.searchParams.get('page_size')).toBe('10');
    expect(pages.map((p) => p.checkpoint)).toEqual([
      { page: 2, in_progress: true, read: 10, count: 35, size: 10, page_size: 10 },
      { page: 3, in_progress: true, read: 20, count: 35, size: 10, page_size: 10 },
      { page: 4, in_progress: true, read: 30, count: 35, size: 10, page_size: 10 },
      { in_progress: false },
    ]);
    expect(pages.map((p) => p.expectedCount)).toEqual([undefined, undefined, undefined, 35]);
    expect(pages.map((p) => p.position)).toEqual([
      { page: 0, firstIndex: 0 },
      { page: 1, firstIndex: 10 },
      { page: 2, firstIndex: 20 },
      { page: 3, firstIndex: 30 },
    ]);
  });

  it('without a count, stops on a short page', async () => {
    const api = new FakeDjango(25);
    api.withCount = false;
    api.withNext = false;
    const pages = await collect(paginator().pages(ctx(api)));
    expect(ids(pages)).toEqual(range(1, 25));
    expect(pageNumbers(api)).toEqual([1, 2, 3]);
  });

  it('without a count, an exact multiple ends on the 404 past the last page', async () => {
    const api = new FakeDjango(30);
    api.withCount = false;
    api.withNext = false;
    const pages = await collect(paginator().pages(ctx(api)));
    expect(ids(pages)).toEqual(range(1, 30));
    expect(pageNumbers(api)).toEqual([1, 2, 3, 4]);
    expect(pages.at(-1)).toMatchObject({ records: [], checkpoint: { in_progress: false } });
  });

  it('follows the body next link and stops when it is null', async () => {
    const api = new FakeDjango(30);
    api.withCount = false;
    const pages = await collect(paginator({ nextPath: ['next'] }).pages(ctx(api)));
    expect(ids(pages)).toEqual(range(1, 30));
    expect(pageNumbers(api)).toEqual([1, 2, 3]);
    expect(api.requests[1]!.toString()).toBe(`${BASE}?page_size=10&page=2`);
    expect(pages.at(-1)!.checkpoint).toEqual({ in_progress: false });
  });

  it('ends the pass with a final checkpoint when a full page has no next link', async () => {
    for (const concurrency of [1, 3]) {
      const api = new FakeDjango(20);
      api.withCount = false;
      const pages = await collect(paginator({ nextPath: ['next'], concurrency }).pages(ctx(api)));
      expect(ids(pages)).toEqual(range(1, 20));
      expect(pages.map((p) => p.checkpoint)).toEqual([
        { page: 2, in_progress: true, read: 10, size: 10, page_size: 10 },
        { in_progress: false },
      ]);
      expect(api.requests).toHaveLength(2);
    }
  });

  it('reads a single short page once', async () => {
    const api = new FakeDjango(3);
    const pages = await collect(paginator({ countPath: ['count'], concurrency: 4 }).pages(ctx(api)));
    expect(ids(pages)).toEqual([1, 2, 3]);
    expect(api.requests).toHaveLength(1);
    expect(pages[0]!.checkpoint).toEqual({ in_progress: false });
  });

  it('handles an empty list', async () => {
    const api = new FakeDjango(0);
    const pages = await collect(paginator({ countPath: ['count'], concurrency: 4 }).pages(ctx(api)));
    expect(pages).toHaveLength(1);
    expect(pages[0]).toMatchObject({ records: [], checkpoint: { in_progress: false } });
    expect(api.requests).toHaveLength(1);
  });

  it('honours a start page other than 1', async () => {
    const api = new FakeDjango(25);
    api.withCount = false;
    const fetch = (u: URL) => {
      const shifted = new URL(u);
      shifted.searchParams.set('page', String(Number(u.searchParams.get('page')) + 1));
      return api.fetch(shifted);
    };
    const pages = await collect(
      paginator({ startPage: 0 }).pages({ baseUrl: new URL(BASE), fetch, state: undefined }),
    );
    expect(ids(pages)).toEqual(range(1, 25));
    expect(pages.map((p) => p.position)).toEqual([
      { page: 0, firstIndex: 0 },
      { page: 1, firstIndex: 10 },
      { page: 2, firstIndex: 20 },
    ]);
  });
});

describe('PageNumberPaginator, parallel', () => {
  it('yields pages strictly in order with at most `concurrency` requests in flight', async () => {
    const api = new FakeDjango(200);
    api.delay = (p) => (p === 1 ? 0 : ((21 - p) % 5) * 4);
    const pages = await collect(paginator({ countPath: ['count'], concurrency: 4 }).pages(ctx(api)));
    expect(pages.map((p) => p.position.page)).toEqual(range(0, 19));
    expect(ids(pages)).toEqual(range(1, 200));
    expect(api.maxInFlight).toBe(4);
    expect(new Set(pageNumbers(api)).size).toBe(20);
    expect(api.requests).toHaveLength(20);
    expect(
      pages.slice(0, -1).every((p, i) => p.checkpoint.page === i + 2 && p.checkpoint.in_progress === true),
    ).toBe(true);
    expect(pages.at(-1)!.checkpoint).toEqual({ in_progress: false });
  });

  it('keeps pages fetched but not yet consumed bounded by `concurrency` when the consumer is slow', async () => {
    const api = new FakeDjango(150);
    let consumed = 0;
    let maxAhead = 0;
    await collect(paginator({ countPath: ['count'], concurrency: 3 }).pages(ctx(api)), async () => {
      consumed++;
      maxAhead = Math.max(maxAhead, api.requests.length - consumed);
      await new Promise((r) => setTimeout(r, 3));
    });
    expect(consumed).toBe(15);
    expect(maxAhead).toBeLessThanOrEqual(3);
    expect(maxAhead).toBeGreaterThanOrEqual(2);
    expect(api.maxInFlight).toBeLessThanOrEqual(3);
  });

  it('fails the pass at an end-of-stream page (404) when the count promised more, before yielding it', async () => {
    const api = new FakeDjango(100);
    const fetch = async (u: URL) => {
      const p = Number(u.searchParams.get('page'));
      const res = await api.fetch(u);
      return p >= 6 ? { ...res, records: [], body: undefined, endOfStream: true } : res;
    };
    const pages: RawPage[] = [];
    const err = await collect(
      paginator({ countPath: ['count'], concurrency: 3 }).pages({
        baseUrl: new URL(BASE),
        fetch,
        state: undefined,
      }),
      (p) => {
        pages.push(p);
      },
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TRB_SOURCE_CONTRACT', details: { expected: 100, seen: 50 } });
    expect(String((err as Error).message)).toContain(BASE);
    expect(pages.map((p) => p.position.page)).toEqual([0, 1, 2, 3, 4]);
    expect(pages.every((p) => p.checkpoint.in_progress === true)).toBe(true);
    expect(ids(pages)).toEqual(range(1, 50));
  });

  it('surfaces a failed page after the pages before it, without unhandled rejections', async () => {
    const api = new FakeDjango(100);
    api.failPage = 4;
    api.delay = (p) => (p === 4 ? 0 : 10);
    const seen: number[] = [];
    await expect(
      collect(paginator({ countPath: ['count'], concurrency: 4 }).pages(ctx(api)), (p) => {
        seen.push(p.position.page);
      }),
    ).rejects.toThrow('page 4 failed');
    expect(seen).toEqual([0, 1, 2]);
    await new Promise((r) => setTimeout(r, 30));
  });

  it('resumes from an in-progress page', async () => {
    const api = new FakeDjango(95);
    const pages = await collect(
      paginator({ countPath: ['count'], concurrency: 3 }).pages(
        ctx(api, { page: 4, in_progress: true, read: 30, count: 95, size: 10, page_size: 10 }),
      ),
    );
    expect(pageNumbers(api)[0]).toBe(4);
    expect(pages.map((p) => p.position.page)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(ids(pages)).toEqual(range(31, 95));
    expect(pages[0]!.position.firstIndex).toBe(30);
    expect(pages.at(-1)!.checkpoint).toEqual({ in_progress: false });
    expect(pages.at(-1)!.expectedCount).toBe(95);
  });

  it('starts the pass over from a checkpoint it cannot resume exactly', async () => {
    const checkpoints = [
      { page: 4, in_progress: true }, // written before checkpoints carried the read count
      { page: 4, in_progress: true, read: 30, count: 95, size: 10, page_size: 25 }, // another page size
    ];
    for (const state of checkpoints) {
      const api = new FakeDjango(95);
      const pages = await collect(paginator({ countPath: ['count'], concurrency: 3 }).pages(ctx(api, state)));
      expect(pageNumbers(api)[0], JSON.stringify(state)).toBe(1);
      expect(ids(pages)).toEqual(range(1, 95));
      expect(pages.at(-1)!.expectedCount).toBe(95);
    }
  });

  it('starts the pass over when the count changed while the sync was down', async () => {
    const api = new FakeDjango(95);
    api.rows.unshift(0);
    const pages = await collect(
      paginator({ countPath: ['count'], concurrency: 3 }).pages(
        ctx(api, { page: 4, in_progress: true, read: 30, count: 95, size: 10, page_size: 10 }, 'id'),
      ),
    );
    expect(pageNumbers(api).slice(0, 2)).toEqual([4, 1]);
    expect(ids(pages)).toEqual(range(0, 95));
    expect(pages.at(-1)!.expectedCount).toBe(96);
  });

  it('starts from the first page when the stored state is not in progress', async () => {
    const api = new FakeDjango(25);
    await collect(
      paginator({ countPath: ['count'], concurrency: 3 }).pages(ctx(api, { page: 3, in_progress: false })),
    );
    expect(pageNumbers(api)[0]).toBe(1);
  });

  it('stops starting requests when the consumer stops early', async () => {
    const api = new FakeDjango(500);
    api.delay = () => 2;
    let n = 0;
    for await (const _p of paginator({ countPath: ['count'], concurrency: 4 }).pages(ctx(api))) {
      if (++n === 3) break;
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(api.requests.length).toBeLessThanOrEqual(3 + 4);
  });

  it('a checkpoint resumed after any page reads exactly the remaining records', async () => {
    const api = new FakeDjango(73);
    const all = await collect(paginator({ countPath: ['count'], concurrency: 3 }).pages(ctx(api)));
    for (let k = 0; k < all.length - 1; k++) {
      const cp = all[k]!.checkpoint;
      const rest = await collect(
        paginator({ countPath: ['count'], concurrency: 3 }).pages(ctx(new FakeDjango(73), cp)),
      );
      expect([...ids(all.slice(0, k + 1)), ...ids(rest)], `after page ${k + 1}`).toEqual(range(1, 73));
    }
  });
});

describe('PageNumberPaginator, against an API that bends its contract', () => {
  const both = [1, 4];

  it('learns a capped page size (asked 100, served 25) and reads all 1,000 records', async () => {
    for (const concurrency of both) {
      const api = new FakeDjango(1000);
      api.cap = 25;
      const pages = await collect(
        paginator({ pageSize: 100, countPath: ['count'], nextPath: ['next'], concurrency }).pages(
          ctx(api, undefined, 'id'),
        ),
      );
      expect(ids(pages), `concurrency ${concurrency}`).toEqual(range(1, 1000));
      // No request beyond the 40 pages the server really has.
      expect(pageNumbers(api)).toEqual(range(1, 40));
      for (const u of api.requests) expect(u.searchParams.get('page_size')).toBe('100');
      expect(pages.at(-1)).toMatchObject({ checkpoint: { in_progress: false }, expectedCount: 1000 });
      expect(pages[0]!.checkpoint).toMatchObject({ size: 25, page_size: 100, read: 25, count: 1000 });
      expect(pages.map((p) => p.position.firstIndex)).toEqual(range(0, 39).map((i) => i * 25));
    }
  });

  it('learns a capped page size from the count alone when there is no next link', async () => {
    for (const concurrency of both) {
      const api = new FakeDjango(1000);
      api.cap = 25;
      api.withNext = false;
      const pages = await collect(
        paginator({ pageSize: 100, countPath: ['count'], concurrency }).pages(ctx(api, undefined, 'id')),
      );
      expect(ids(pages), `concurrency ${concurrency}`).toEqual(range(1, 1000));
      expect(api.requests).toHaveLength(40);
    }
  });

  it('resumes a capped pass from its checkpoint with the learned size', async () => {
    const api = new FakeDjango(1000);
    api.cap = 25;
    const p = () => paginator({ pageSize: 100, countPath: ['count'], nextPath: ['next'], concurrency: 3 });
    const first: RawPage[] = [];
    for await (const page of p().pages(ctx(api, undefined, 'id'))) {
      first.push(page);
      if (first.length === 7) break;
    }
    const rest = await collect(p().pages(ctx(api, first.at(-1)!.checkpoint, 'id')));
    expect([...ids(first), ...ids(rest)]).toEqual(range(1, 1000));
    expect(rest.at(-1)!.expectedCount).toBe(1000);
  });

  it('follows next past a count that is too low, then fails the proof instead of truncating', async () => {
    for (const concurrency of both) {
      const api = new FakeDjango(1000);
      api.reportedCount = 500;
      const pages: RawPage[] = [];
      const err = await collect(
        paginator({ pageSize: 100, countPath: ['count'], nextPath: ['next'], concurrency }).pages(
          ctx(api, undefined, 'id'),
        ),
        (p) => {
          pages.push(p);
        },
      ).catch((e: unknown) => e);
      expect(err, `concurrency ${concurrency}`).toMatchObject({
        code: 'TRB_SOURCE_CONTRACT',
        details: { expected: 500, seen: 1000 },
      });
      expect((err as Error).message).toMatch(/read 1000 records but the API's count said 500/);
      // Every page was read; the last one was never yielded as the end of a pass.
      expect(pageNumbers(api)).toEqual(range(1, 10));
      expect(ids(pages)).toEqual(range(1, 900));
      expect(pages.every((p) => p.checkpoint.in_progress === true)).toBe(true);
    }
  });

  it('fails the proof when the count is too high and next ends the list early', async () => {
    for (const concurrency of both) {
      const api = new FakeDjango(300);
      api.reportedCount = 400;
      const pages: RawPage[] = [];
      const err = await collect(
        paginator({ pageSize: 100, countPath: ['count'], nextPath: ['next'], concurrency }).pages(ctx(api)),
        (p) => {
          pages.push(p);
        },
      ).catch((e: unknown) => e);
      expect(err, `concurrency ${concurrency}`).toMatchObject({
        code: 'TRB_SOURCE_CONTRACT',
        details: { expected: 400, seen: 300 },
      });
      expect(pages.every((p) => p.checkpoint.in_progress === true)).toBe(true);
    }
  });

  it('an empty results page mid-list with a next link is not the end', async () => {
    for (const concurrency of both) {
      const api = new FakeDjango(1000);
      api.emptyPages.add(4);
      api.emptyPages.add(5);
      const pages: RawPage[] = [];
      const err = await collect(
        paginator({ pageSize: 100, countPath: ['count'], nextPath: ['next'], concurrency }).pages(
          ctx(api, undefined, 'id'),
        ),
        (p) => {
          pages.push(p);
        },
      ).catch((e: unknown) => e);
      // Every page after the empty ones was read; the records the server withheld make the proof fail.
      expect(pageNumbers(api).filter((p) => p > 5).length, `concurrency ${concurrency}`).toBeGreaterThan(0);
      expect(new Set(pageNumbers(api))).toEqual(new Set(range(1, 10)));
      expect(ids(pages)).toEqual([...range(1, 300), ...range(501, 900)]);
      expect(err).toMatchObject({ code: 'TRB_SOURCE_CONTRACT', details: { expected: 1000, seen: 800 } });
    }
  });

  it('an empty page that the count does not contradict is followed to a proven end', async () => {
    // A server that answers an empty page between full ones but whose count only covers the records
    // it really serves (e.g. a filter applied after paging): the pass reads on, and it adds up.
    const api = new FakeDjango(300);
    api.emptyPages.add(2);
    api.reportedCount = 200;
    const pages = await collect(
      paginator({ pageSize: 100, countPath: ['count'], nextPath: ['next'], concurrency: 1 }).pages(
        ctx(api, undefined, 'id'),
      ),
    );
    expect(ids(pages)).toEqual([...range(1, 100), ...range(201, 300)]);
    expect(pages.at(-1)!.expectedCount).toBe(200);
  });

  it('fails clearly on endless empty pages that each say there is more', async () => {
    const api = new FakeDjango(100_000);
    for (let p = 2; p <= 1000; p++) api.emptyPages.add(p);
    const err = await collect(
      paginator({ countPath: ['count'], nextPath: ['next'], concurrency: 4 }).pages(ctx(api)),
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TRB_SOURCE_CONTRACT', details: { emptyPages: 20 } });
    expect((err as Error).message).toMatch(/20 empty pages in a row/);
    // Page 1, then each of the 20 empty pages asked for twice (a glitch would clear on the second ask), plus
    // what the parallel plan had in flight.
    expect(api.requests.length).toBeLessThanOrEqual(1 + 2 * 20 + 4);
  });

  it('asks for an empty page once more before moving on: a glitch costs one request, not its records', async () => {
    for (const concurrency of both) {
      const api = new FakeDjango(1000);
      let glitched = false;
      const fetch: PaginationContext['fetch'] = async (url) => {
        const res = await api.fetch(url);
        // The first answer for page 3 is empty (its count and next link intact); asking again serves it.
        if (url.searchParams.get('page') === '3' && !glitched) {
          glitched = true;
          return { ...res, records: [] };
        }
        return res;
      };
      const pages = await collect(
        paginator({ pageSize: 100, countPath: ['count'], nextPath: ['next'], concurrency }).pages({
          ...ctx(api),
          fetch,
        }),
      );
      expect(pages.flatMap((p) => p.records).length, `concurrency ${concurrency}`).toBe(1000);
      expect(pages.at(-1)!.expectedCount).toBe(1000);
      // Ten pages and one second ask for page 3.
      expect(api.requests.length, `concurrency ${concurrency}`).toBe(11);
    }
  });

  it('fails when the list moves while it is paged (offset drift), naming both counts and the page', async () => {
    for (const concurrency of both) {
      const api = new FakeDjango(1000);
      api.beforeAnswer = (request) => {
        if (request === 3) api.rows.unshift(0);
      };
      const pages: RawPage[] = [];
      const err = await collect(
        paginator({
          pageSize: 100,
          countPath: ['count'],
          nextPath: ['next'],
          concurrency: concurrency,
        }).pages(ctx(api, undefined, 'id')),
        (p) => {
          pages.push(p);
        },
      ).catch((e: unknown) => e);
      expect(err, `concurrency ${concurrency}`).toMatchObject({
        code: 'TRB_SOURCE_CONTRACT',
        details: { expected: 1000, seen: 1001, page: 3 },
      });
      expect((err as Error).message).toContain(BASE);
      expect((err as Error).message).toMatch(/1000 when the pass started and 1001 on page 3/);
      expect(pages.length).toBe(2);
    }
  });

  it('catches a record served twice even when the count adds up', async () => {
    const api = new FakeDjango(30);
    // The server repeats record 10 on page 2 and drops 11: the count still adds up to 30.
    api.rows = [...range(1, 10), 10, ...range(12, 30)];
    const err = await collect(
      paginator({ countPath: ['count'], nextPath: ['next'], concurrency: 1 }).pages(
        ctx(api, undefined, 'id'),
      ),
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'TRB_SOURCE_CONTRACT',
      details: { duplicates: 1, firstDuplicate: '10' },
    });
  });

  it('a plan that the next links disagree with gives way to the links', async () => {
    // The server serves 10 a page but its links skip ahead by two pages: the plan would read pages the
    // links never name. Following the links reads what the server says is the list.
    const api = new FakeDjango(50);
    const fetch = async (u: URL) => {
      const res = await api.fetch(u);
      const body = res.body as { next: string | null };
      if (body?.next) {
        const n = new URL(body.next);
        const p = Number(n.searchParams.get('page'));
        n.searchParams.set('page', String(p + 1));
        body.next = p + 1 <= 5 ? n.toString() : null;
      }
      return res;
    };
    const err = await collect(
      paginator({ countPath: ['count'], nextPath: ['next'], concurrency: 4 }).pages({
        baseUrl: new URL(BASE),
        fetch,
        state: undefined,
      }),
    ).catch((e: unknown) => e);
    expect(pageNumbers(api)).toEqual([1, 3, 5]);
    expect(err).toMatchObject({ code: 'TRB_SOURCE_CONTRACT', details: { expected: 50, seen: 30 } });
  });
});
