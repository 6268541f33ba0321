/**
 * The date-time cursor on its own: where a read starts, what each checkpoint carries for a paginator that
 * cannot prove the cursor's order (the committed cursor until the proven end of the pass), and the filter
 * and sort checks it makes on every page. End to end over HTTP: test/integration/incremental-any-paginator.
 */
import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../src/errors.js';
import { DatetimeCursor, type DatetimeCursorOptions } from '../../src/declarative/incremental-cursor.js';
import type { PaginationContext, Paginator, RawPage } from '../../src/declarative/paginators/paginator.js';

const BASE = new URL('http://api.test/items');
const at = (minutes: number) =>
  new Date(Date.parse('2026-01-01T00:00:00.000Z') + minutes * 60_000).toISOString();

function cursor(extra: Partial<DatetimeCursorOptions> = {}): DatetimeCursor {
  return new DatetimeCursor({
    cursorField: 'updatedAt',
    filterParam: 'updated_since',
    sortParam: 'ordering',
    sortValue: 'updatedAt',
    lookbackMs: 0,
    initialDays: 0,
    now: at(1000),
    ...extra,
  });
}

/** A paginator serving fixed pages (of cursor values, in minutes), remembering the context it was given. */
class Scripted implements Paginator {
  seen: PaginationContext | undefined;
  constructor(
    private readonly pageMinutes: number[][],
    readonly pagesByCursor = false,
  ) {}

  async *pages(ctx: PaginationContext): AsyncGenerator<RawPage> {
    this.seen = ctx;
    let index = 0;
    for (const [page, minutes] of this.pageMinutes.entries()) {
      const last = page === this.pageMinutes.length - 1;
      yield {
        records: minutes.map((m, i) => ({ id: `r${index + i}`, updatedAt: at(m) })),
        bytes: 1,
        checkpoint: last ? { in_progress: false } : { page: page + 2, in_progress: true },
        position: { page, firstIndex: index },
      };
      index += minutes.length;
    }
  }
}

function ctxWith(state: Record<string, unknown> | undefined): PaginationContext {
  return {
    baseUrl: BASE,
    fetch: () => Promise.reject(new Error('not used')),
    state,
  };
}

async function collect(it: AsyncIterable<RawPage>): Promise<RawPage[]> {
  const out: RawPage[] = [];
  for await (const p of it) out.push(p);
  return out;
}

async function failure(it: AsyncIterable<RawPage>): Promise<TributaryError> {
  const err = await collect(it).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TributaryError);
  return err as TributaryError;
}

describe('DatetimeCursor', () => {
  it('starts a read at the committed cursor minus the lookback, else the initial window; never on a full refresh', () => {
    const c = cursor({ lookbackMs: 5 * 60_000, initialDays: 2 });
    expect(c.startBound({ cursor: at(100), in_progress: false }, 'incremental')).toBe(at(95));
    expect(c.startBound(undefined, 'incremental')).toBe(at(1000 - 2 * 24 * 60));
    expect(c.startBound({ cursor: at(100) }, 'full_refresh')).toBeUndefined();
    expect(cursor().startBound(undefined, 'incremental')).toBeUndefined();
  });

  it('a record without a date-time cursor is named; one with it passes', () => {
    const c = cursor();
    expect(c.check({ updatedAt: at(1) })).toBeUndefined();
    expect(c.check({ updatedAt: 'yesterday' })).toContain('has no usable cursor "updatedAt"');
    expect(c.check({})).toContain('(value null)');
  });

  it('hands a paginator that pages by the cursor its window, and passes its checkpoints through', async () => {
    const p = new Scripted([[1, 2], [3]], true);
    const pages = await collect(cursor({ idField: 'id' }).pages(p, ctxWith(undefined), at(1)));
    expect(p.seen?.incremental).toMatchObject({
      cursorField: 'updatedAt',
      filterParam: 'updated_since',
      startBound: at(1),
      idField: 'id',
    });
    expect(pages.map((x) => x.checkpoint)).toEqual([{ page: 2, in_progress: true }, { in_progress: false }]);
  });

  it('any other paginator: filter and sort in the URL, the cursor unmoved mid-pass, the newest value seen at the end', async () => {
    const p = new Scripted([[10, 12], [12, 15], [20]]);
    const pages = await collect(cursor().pages(p, ctxWith({ cursor: at(10), in_progress: false }), at(10)));
    expect(p.seen?.incremental).toBeUndefined();
    // A completed state is no resume token: the paginator starts a fresh pass.
    expect(p.seen?.state).toBeUndefined();
    expect(p.seen?.baseUrl.searchParams.get('updated_since')).toBe(at(10));
    expect(p.seen?.baseUrl.searchParams.get('ordering')).toBe('updatedAt');
    expect(pages.map((x) => x.checkpoint)).toEqual([
      { page: 2, cursor: at(10), since: at(10), max_seen: at(12), in_progress: true },
      { page: 3, cursor: at(10), since: at(10), max_seen: at(15), in_progress: true },
      { cursor: at(20), in_progress: false },
    ]);
  });

  it('resumes a pass with the filter it started with, and never moves the cursor backwards', async () => {
    const p = new Scripted([[11], [12]]);
    const state = { page: 2, cursor: at(30), since: at(5), max_seen: at(11), in_progress: true };
    // The start bound a fresh read would use now is ignored: the pages must mean what they meant.
    const pages = await collect(cursor().pages(p, ctxWith(state), at(30)));
    expect(p.seen?.state).toBe(state);
    expect(p.seen?.baseUrl.searchParams.get('updated_since')).toBe(at(5));
    // Everything read is older than the committed cursor (a lookback re-read): the cursor stays.
    expect(pages.at(-1)!.checkpoint).toEqual({ cursor: at(30), in_progress: false });
  });

  it('the first pass (no cursor yet) ends at the newest value seen; an empty one stores none', async () => {
    const first = await collect(cursor().pages(new Scripted([[3, 7]]), ctxWith(undefined), undefined));
    expect(first[0]!.checkpoint).toEqual({ cursor: at(7), in_progress: false });
    const empty = await collect(cursor().pages(new Scripted([[]]), ctxWith(undefined), undefined));
    expect(empty[0]!.checkpoint).toEqual({ cursor: null, in_progress: false });
  });

  it('a record below the requested bound fails the pass: the server ignores the filter', async () => {
    const err = await failure(cursor().pages(new Scripted([[10, 11], [9]]), ctxWith(undefined), at(10)));
    expect(err.code).toBe('TRB_SOURCE_CONTRACT');
    expect(err.message).toContain('below the bound');
    expect(err.details).toMatchObject({ page: 2, item: 0 });
  });

  it('with a sort parameter, a value older than the one before it fails the pass, across pages too', async () => {
    const err = await failure(cursor().pages(new Scripted([[1, 5], [4]]), ctxWith(undefined), undefined));
    expect(err.code).toBe('TRB_SOURCE_CONTRACT');
    expect(err.message).toContain('does not sort by updatedAt');
    // Without one, any order is accepted and the newest value still wins.
    const unsorted = await collect(
      cursor({ sortParam: undefined }).pages(new Scripted([[1, 5], [4]]), ctxWith(undefined), undefined),
    );
    expect(unsorted.at(-1)!.checkpoint).toEqual({ cursor: at(5), in_progress: false });
  });
});
