import { describe, expect, it } from 'vitest';
import { NextLinkPaginator } from '../../../src/declarative/paginators/next-link-paginator.js';
import type {
  FetchedPage,
  PaginationContext,
  RawPage,
} from '../../../src/declarative/paginators/paginator.js';
import { collectPages } from '../../helpers/declarative.js';

const SECRET = 'k3y-SECRET-42';
const BASE = 'https://api.example.com/v1/contacts';

/**
 * A cursor API in memory. Like many real APIs it echoes the credential into its `next` link
 * (`?api_key=...&after=...`), which must never reach the state.
 */
class FakeCursorApi {
  readonly requests: URL[] = [];
  relative = false;

  constructor(
    public total: number,
    public size = 10,
  ) {}

  fetch = async (url: URL): Promise<FetchedPage> => {
    const u = new URL(url);
    u.searchParams.set('api_key', SECRET);
    this.requests.push(u);
    await new Promise((r) => setImmediate(r));
    const after = Number(u.searchParams.get('after') ?? 0);
    const limit = Number(u.searchParams.get('limit') ?? this.size);
    const results = Array.from({ length: Math.max(0, Math.min(limit, this.total - after)) }, (_, i) => ({
      id: after + i + 1,
    }));
    let next: string | null = null;
    if (after + limit < this.total) {
      const n = new URL(u);
      n.searchParams.set('after', String(after + limit));
      next = this.relative ? `${n.pathname}${n.search}` : n.toString();
    }
    const body = { results, paging: { next } };
    return { records: results, body, bytes: JSON.stringify(body).length, url: u, endOfStream: false };
  };
}

function ctx(api: FakeCursorApi, state?: Record<string, unknown>): PaginationContext {
  return { baseUrl: new URL(BASE), fetch: api.fetch, state };
}

const paginator = (o: Partial<ConstructorParameters<typeof NextLinkPaginator>[0]> = {}) =>
  new NextLinkPaginator({
    nextPath: ['paging', 'next'],
    pageSizeParam: 'limit',
    pageSize: 10,
    secretParam: 'api_key',
    ...o,
  });

const ids = (pages: RawPage[]) => pages.flatMap((p) => p.records.map((r) => r.id as number));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('NextLinkPaginator', () => {
  it('follows next links until there is none', async () => {
    const api = new FakeCursorApi(35);
    const pages = await collectPages(paginator().pages(ctx(api)));
    expect(ids(pages)).toEqual(range(1, 35));
    expect(api.requests).toHaveLength(4);
    expect(api.requests[0]!.searchParams.get('limit')).toBe('10');
    expect(pages.at(-1)!.checkpoint).toEqual({ in_progress: false });
    expect(pages.map((p) => p.position)).toEqual([
      { page: 0, firstIndex: 0 },
      { page: 1, firstIndex: 10 },
      { page: 2, firstIndex: 20 },
      { page: 3, firstIndex: 30 },
    ]);
  });

  it('never puts the secret query parameter in the state', async () => {
    const api = new FakeCursorApi(35);
    const pages = await collectPages(paginator().pages(ctx(api)));
    const inProgress = pages.filter((p) => p.checkpoint.in_progress === true);
    expect(inProgress).toHaveLength(3);
    for (const p of pages) {
      expect(JSON.stringify(p.checkpoint)).not.toContain(SECRET);
      expect(JSON.stringify(p.checkpoint)).not.toContain('api_key');
    }
    const next = new URL(String(inProgress[0]!.checkpoint.next));
    expect(next.searchParams.get('after')).toBe('10');
    expect(next.origin + next.pathname).toBe(BASE);
  });

  it('resolves a relative next link against the URL that answered', async () => {
    const api = new FakeCursorApi(25);
    api.relative = true;
    const pages = await collectPages(paginator().pages(ctx(api)));
    expect(ids(pages)).toEqual(range(1, 25));
    expect(api.requests.map((u) => u.origin + u.pathname)).toEqual([BASE, BASE, BASE]);
    for (const p of pages) expect(JSON.stringify(p.checkpoint)).not.toContain(SECRET);
  });

  it('resumes from the stored next link', async () => {
    const api = new FakeCursorApi(45);
    const first = await collectPages(paginator().pages(ctx(api)), 2);
    const state = first.at(-1)!.checkpoint;
    const api2 = new FakeCursorApi(45);
    const rest = await collectPages(paginator().pages(ctx(api2, state)));
    expect(api2.requests[0]!.searchParams.get('after')).toBe('20');
    expect([...ids(first), ...ids(rest)]).toEqual(range(1, 45));
  });

  it('starts over when the stored state is not in progress', async () => {
    const api = new FakeCursorApi(15);
    await collectPages(paginator().pages(ctx(api, { next: `${BASE}?after=10`, in_progress: false })));
    expect(api.requests[0]!.searchParams.has('after')).toBe(false);
  });

  it('follows an empty page that still carries a next link', async () => {
    const api = new FakeCursorApi(35);
    const fetch = async (url: URL): Promise<FetchedPage> => {
      const page = await api.fetch(url);
      // The server answers the second page empty, but its link leads on to the rest.
      return url.searchParams.get('after') === '10' ? { ...page, records: [] } : page;
    };
    const pages = await collectPages(paginator().pages({ baseUrl: new URL(BASE), fetch, state: undefined }));
    expect(ids(pages)).toEqual([...range(1, 10), ...range(21, 35)]);
    expect(pages[1]).toMatchObject({ records: [], checkpoint: { in_progress: true } });
    expect(pages.at(-1)!.checkpoint).toEqual({ in_progress: false });
    expect(api.requests).toHaveLength(4);
  });

  it('fails clearly on endless empty pages that each link on, without yielding an end', async () => {
    let n = 0;
    const fetch = async (url: URL): Promise<FetchedPage> => ({
      records: [],
      body: { paging: { next: `${BASE}?after=${++n}` } },
      bytes: 10,
      url,
      endOfStream: false,
    });
    const pages: RawPage[] = [];
    const err = await (async () => {
      for await (const p of paginator().pages({ baseUrl: new URL(BASE), fetch, state: undefined }))
        pages.push(p);
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TRB_SOURCE_CONTRACT', details: { emptyPages: 20 } });
    expect((err as Error).message).toMatch(/20 empty pages in a row/);
    expect(pages).toHaveLength(19);
    expect(pages.every((p) => p.checkpoint.in_progress === true)).toBe(true);
    expect(n).toBeLessThanOrEqual(21);
  });

  it('fails the pass before its last page when a record comes twice', async () => {
    const api = new FakeCursorApi(25);
    const fetch = async (url: URL): Promise<FetchedPage> => {
      const page = await api.fetch(url);
      if (url.searchParams.get('after') === '20') page.records.push({ id: 3 });
      return page;
    };
    const pages: RawPage[] = [];
    const err = await (async () => {
      for await (const p of paginator().pages({
        baseUrl: new URL(BASE),
        fetch,
        state: undefined,
        idField: 'id',
      }))
        pages.push(p);
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'TRB_SOURCE_CONTRACT',
      details: { duplicates: 1, firstDuplicate: '3' },
    });
    expect(pages.every((p) => p.checkpoint.in_progress === true)).toBe(true);
  });

  it('stops at end of stream', async () => {
    const fetch = async (url: URL): Promise<FetchedPage> => ({
      records: [],
      body: undefined,
      bytes: 0,
      url,
      endOfStream: true,
    });
    const pages = await collectPages(paginator().pages({ baseUrl: new URL(BASE), fetch, state: undefined }));
    expect(pages.map((p) => p.checkpoint)).toEqual([{ in_progress: false }]);
  });

  it('omits the page size parameter when none is configured', async () => {
    const api = new FakeCursorApi(5);
    await collectPages(paginator({ pageSizeParam: undefined, pageSize: undefined }).pages(ctx(api)));
    expect(api.requests[0]!.searchParams.has('limit')).toBe(false);
  });
});

describe('NextLinkPaginator, reading ahead', () => {
  it('requests the linked page before it yields the current one', async () => {
    const api = new FakeCursorApi(35);
    const requestsAtYield: number[] = [];
    for await (const _p of paginator().pages(ctx(api))) requestsAtYield.push(api.requests.length);
    expect(requestsAtYield).toEqual([2, 3, 4, 4]);
  });

  it('a link back to a page already read fails after the page that carries it, not before', async () => {
    const api = new FakeCursorApi(35);
    const loop = async (url: URL): Promise<FetchedPage> => {
      const page = await api.fetch(url);
      // The second page links back to the first.
      if (url.searchParams.get('after') === '10')
        (page.body as { paging: { next: string } }).paging.next = `${BASE}?limit=10`;
      return page;
    };
    const got: RawPage[] = [];
    await expect(
      (async () => {
        for await (const p of paginator().pages({ baseUrl: new URL(BASE), fetch: loop, state: undefined }))
          got.push(p);
      })(),
    ).rejects.toThrow(/go round in a circle/);
    expect(ids(got)).toEqual(range(1, 20));
    expect(api.requests).toHaveLength(2);
  });

  it('aborts the request read ahead when the consumer stops', async () => {
    const api = new FakeCursorApi(35);
    const signals: (AbortSignal | undefined)[] = [];
    const fetch = (url: URL, signal?: AbortSignal) => {
      signals.push(signal);
      return api.fetch(url);
    };
    await collectPages(paginator().pages({ baseUrl: new URL(BASE), fetch, state: undefined }), 1);
    expect(signals).toHaveLength(2);
    expect(signals[1]?.aborted).toBe(true);
  });
});
