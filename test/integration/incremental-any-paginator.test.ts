/**
 * The incremental cursor composes with any paginator: a date-time cursor paired with page-number paging
 * (Django REST style: count, next), next-link paging, cursor (token) paging and RFC 8288 Link headers,
 * synced end to end over HTTP into DuckDB. The second sync asks only for records updated since the committed
 * cursor; a pass that fails half-way commits its pages but not a new cursor (the paginator cannot prove the
 * order, so the cursor advances only at the proven end of a pass), and the next sync resumes it and only then
 * advances.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DeclarativeSource,
  type LoadedConnector,
  resolveConnectorConfig,
} from '../../src/declarative/declarative-source.js';
import { Manifest } from '../../src/declarative/manifest-schema.js';
import { schemaInfo } from '../../src/declarative/stream-schema.js';
import { createDestination } from '../../src/destinations/create-destination.js';
import type { StoredStreamState } from '../../src/engine/stream-state.js';
import type { RunSummary } from '../../src/engine/summary.js';
import { runSync } from '../../src/engine/sync.js';
import { queryDuckDb, tempDir } from '../helpers/duckdb.js';
import { type FakeApi, json, startFakeApi } from '../helpers/fake-api.js';

type Kind = 'page_number' | 'next_link' | 'cursor' | 'link_header';

interface Item {
  id: string;
  name: string;
  updatedAt: string;
}

const PAGE_SIZE = 4;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

/** The API's data and how it misbehaves, changed by each test between syncs. */
const api = {
  items: [] as Item[],
  /** Answer 500 to a request this matches (a crash half-way through a pass). */
  failWhen: undefined as ((url: URL) => boolean) | undefined,
  /** Answer every list unfiltered, whatever `updated_since` says. */
  ignoreFilter: false,
};

/** The list a request asks for: filtered by `updated_since`, ordered by `ordering` then by id. */
function listFor(url: URL): Item[] {
  const since = url.searchParams.get('updated_since');
  let list = api.items;
  if (since !== null && !api.ignoreFilter)
    list = list.filter((i) => Date.parse(i.updatedAt) >= Date.parse(since));
  list = [...list];
  if (url.searchParams.get('ordering') === 'updatedAt') {
    list.sort((a, b) => Date.parse(a.updatedAt) - Date.parse(b.updatedAt) || (a.id < b.id ? -1 : 1));
  }
  return list;
}

let server: FakeApi;
let dir: string;

beforeAll(async () => {
  server = await startFakeApi((req, res, origin) => {
    const url = new URL(req.url!, origin);
    if (api.failWhen?.(url)) return json(res, 500, { error: 'boom' });
    const list = listFor(url);
    if (url.pathname === '/api/items/') {
      // Django REST page-number paging: count, next (null on the last page), results.
      const page = Number(url.searchParams.get('page') ?? '1');
      const size = Number(url.searchParams.get('page_size') ?? '100');
      const from = (page - 1) * size;
      const next = new URL(url);
      next.searchParams.set('page', String(page + 1));
      return json(res, 200, {
        count: list.length,
        next: from + size < list.length ? next.toString() : null,
        results: list.slice(from, from + size),
      });
    }
    if (url.pathname === '/api/feed') {
      // Next-link paging: an opaque position in the link, no count.
      const pos = Number(url.searchParams.get('pos') ?? '0');
      const limit = Number(url.searchParams.get('limit') ?? '100');
      const next = new URL(url);
      next.searchParams.set('pos', String(pos + limit));
      return json(res, 200, {
        data: list.slice(pos, pos + limit),
        links: { next: pos + limit < list.length ? next.toString() : null },
      });
    }
    if (url.pathname === '/api/tokens') {
      // Cursor (token) paging: an opaque token in the body, sent back as `after`.
      const pos = Number((url.searchParams.get('after') ?? 'p0').slice(1));
      const limit = Number(url.searchParams.get('limit') ?? '100');
      return json(res, 200, {
        items: list.slice(pos, pos + limit),
        meta: { next_cursor: pos + limit < list.length ? `p${pos + limit}` : null },
      });
    }
    if (url.pathname === '/api/linked') {
      // RFC 8288 Link headers: a relative rel="next" among other links.
      const pos = Number(url.searchParams.get('pos') ?? '0');
      const limit = Number(url.searchParams.get('limit') ?? '100');
      const next = new URL(url);
      next.searchParams.set('pos', String(pos + limit));
      const links = ['</api/linked>; rel="first"'];
      if (pos + limit < list.length) links.push(`<${next.pathname}${next.search}>; rel="next"`);
      res.setHeader('link', links.join(', '));
      return json(res, 200, list.slice(pos, pos + limit));
    }
    json(res, 404, { error: 'not found' });
  });
  dir = tempDir();
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  api.items = Array.from({ length: 10 }, (_, i) => ({
    id: `i${String(i).padStart(2, '0')}`,
    name: `item ${i}`,
    updatedAt: at(i),
  }));
  api.failWhen = undefined;
  api.ignoreFilter = false;
  server.hits.length = 0;
  logLines.length = 0;
});
afterEach(() => {
  api.failWhen = undefined;
});

function connector(kind: Kind): LoadedConnector {
  const manifest = Manifest.parse({
    version: 1,
    name: 'cursorpaging',
    title: 'A date-time cursor over page-number or next-link paging',
    spec: { required: ['base_url'], properties: { base_url: { type: 'string' } } },
    // No retries: a 500 fails the pass at once (a crash half-way, for the engine).
    requester: { base_url: '{{ config.base_url }}', max_retries: 0 },
    paginator: {
      page_number: {
        type: 'page_number',
        page_param: 'page',
        page_size_param: 'page_size',
        page_size: PAGE_SIZE,
        count_path: ['count'],
        next_path: ['next'],
      },
      next_link: {
        type: 'next_link',
        next_path: ['links', 'next'],
        page_size_param: 'limit',
        page_size: PAGE_SIZE,
      },
      cursor: {
        type: 'cursor',
        cursor_path: ['meta', 'next_cursor'],
        cursor_param: 'after',
        page_size_param: 'limit',
        page_size: PAGE_SIZE,
      },
      link_header: { type: 'link_header', page_size_param: 'limit', page_size: PAGE_SIZE },
    }[kind],
    selector: {
      path: { page_number: ['results'], next_link: ['data'], cursor: ['items'], link_header: [] }[kind],
    },
    transforms: [{ type: 'snake_case' }],
    incremental: {
      cursor_field: 'updatedAt',
      filter_param: 'updated_since',
      sort_param: 'ordering',
      sort_value: 'updatedAt',
    },
    check: { stream: 'items' },
    streams: [
      {
        name: 'items',
        path: { page_number: 'items/', next_link: 'feed', cursor: 'tokens', link_header: 'linked' }[kind],
        primary_key: ['id'],
        schema: 'items.json',
      },
    ],
  });
  const schema = {
    type: 'object',
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      updated_at: { type: 'string', format: 'date-time' },
    },
  };
  return { manifest, schemas: { items: schemaInfo(schema) }, dir };
}

/** Log lines of the syncs, as JSON text. */
const logLines: string[] = [];

async function sync(kind: Kind, db: string): Promise<RunSummary> {
  const c = connector(kind);
  const logger = pino({ level: 'info' }, { write: (line: string) => logLines.push(line) });
  const source = new DeclarativeSource(c, resolveConnectorConfig(c, { base_url: `${server.origin}/api/` }));
  const destination = await createDestination(
    { url: `duckdb:${db}` },
    { namespace: 'cursorpaging', connector: 'cursorpaging' },
  );
  await destination.open();
  try {
    // One page per commit, so a failure half-way leaves the pages before it committed.
    return await runSync({ source, destination, batchRows: 1, prefetchPages: 1, logger });
  } finally {
    await destination.close();
    await source.close();
  }
}

async function storedState(db: string): Promise<StoredStreamState> {
  const [row] = await queryDuckDb(
    db,
    `select state from cursorpaging._tributary_state where stream = 'items'`,
  );
  return JSON.parse(String(row!.state)) as StoredStreamState;
}

async function rows(db: string): Promise<Record<string, unknown>[]> {
  return queryDuckDb(db, 'select id, name from cursorpaging.items order by id');
}

/** The `updated_since` of every list request since the hits were last cleared. */
function filters(): (string | null)[] {
  return server.hits.map((h) => new URL(h, server.origin).searchParams.get('updated_since'));
}

function update(ids: number[], minutes: number): void {
  for (const [n, i] of ids.entries()) {
    const item = api.items[i]!;
    item.name = `${item.name} v2`;
    item.updatedAt = at(minutes + n);
  }
}

const KINDS: Kind[] = ['page_number', 'next_link', 'cursor', 'link_header'];

describe.each<Kind>(KINDS)('a date-time cursor with %s paging', (kind) => {
  it('the second sync reads only the records updated since the committed cursor', async () => {
    const db = join(dir, `${kind}-second.duckdb`);
    const first = await sync(kind, db);
    expect(first.status, JSON.stringify(first.error)).toBe('succeeded');
    expect(first.streams[0]!.mode).toBe('incremental');
    expect(first.streams[0]!.records).toBe(10);
    // The first sync asked for all history, sorted by the cursor.
    expect(filters().every((f) => f === null)).toBe(true);
    expect(server.hits.every((h) => h.includes('ordering=updatedAt'))).toBe(true);
    let state = await storedState(db);
    expect(state).toMatchObject({ mode: 'incremental', complete: true });
    expect(state.source).toEqual({ cursor: at(9), in_progress: false });
    // The log says why the cursor waits for the end of the pass.
    expect(logLines.join('')).toContain(
      'its paginator cannot prove the order of updatedAt, so the cursor advances only when the pass ends proven complete',
    );

    // Two records change, one is created.
    update([2, 5], 100);
    api.items.push({ id: 'i10', name: 'item 10', updatedAt: at(200) });
    server.hits.length = 0;
    const second = await sync(kind, db);
    expect(second.status, JSON.stringify(second.error)).toBe('succeeded');
    // The re-read record at the cursor (the filter is >=) plus the three changes, and nothing else.
    expect(second.streams[0]!.records).toBe(4);
    expect(filters().every((f) => f === at(9))).toBe(true);
    state = await storedState(db);
    expect(state.complete).toBe(true);
    expect(state.source).toEqual({ cursor: at(200), in_progress: false });
    const landed = await rows(db);
    expect(landed).toHaveLength(11);
    expect(landed.filter((r) => String(r.name).endsWith('v2')).map((r) => r.id)).toEqual(['i02', 'i05']);
  });

  it('a pass that fails half-way commits its pages but not a new cursor; the next sync resumes it and advances', async () => {
    const db = join(dir, `${kind}-crash.duckdb`);
    expect((await sync(kind, db)).status).toBe('succeeded');
    const committed = at(9);

    // Six records change (the pass is two pages: 4 + 3 with the one at the cursor), and page 2 fails.
    update([0, 1, 2, 3, 4, 5], 100);
    const secondPage = (url: URL) =>
      kind === 'page_number'
        ? url.searchParams.get('page') === '2'
        : kind === 'cursor'
          ? url.searchParams.get('after') === `p${PAGE_SIZE}`
          : url.searchParams.get('pos') === String(PAGE_SIZE);
    api.failWhen = secondPage;
    const failed = await sync(kind, db);
    expect(failed.status).toBe('failed');
    expect(failed.error?.code).toBe('TRB_SOURCE_HTTP');
    let state = await storedState(db);
    expect(state.complete).toBe(false);
    // Page 1 is committed (its rows are in), and the cursor has not moved: page 2 may hold older values.
    expect(state.source.cursor).toBe(committed);
    expect(state.source.since).toBe(committed);
    expect(state.source.in_progress).toBe(true);
    expect(state.source.max_seen).toBe(at(102));
    expect(state.lastComplete).toEqual({ cursor: committed, in_progress: false });
    const afterCrash = await rows(db);
    expect(afterCrash.filter((r) => String(r.name).endsWith('v2')).map((r) => r.id)).toEqual([
      'i00',
      'i01',
      'i02',
    ]);

    // The API heals: the next sync resumes at page 2 of the same list, and only then advances the cursor.
    api.failWhen = undefined;
    server.hits.length = 0;
    const resumed = await sync(kind, db);
    expect(resumed.status, JSON.stringify(resumed.error)).toBe('succeeded');
    expect(resumed.streams[0]!.resumed).toBe(true);
    expect(resumed.streams[0]!.records).toBe(3);
    expect(server.hits).toHaveLength(1);
    expect(secondPage(new URL(server.hits[0]!, server.origin))).toBe(true);
    expect(filters()).toEqual([committed]);
    state = await storedState(db);
    expect(state.complete).toBe(true);
    expect(state.source.cursor).toBe(at(105));
    expect(state.source.in_progress).toBe(false);
    const landed = await rows(db);
    expect(landed.filter((r) => String(r.name).endsWith('v2')).map((r) => r.id)).toEqual([
      'i00',
      'i01',
      'i02',
      'i03',
      'i04',
      'i05',
    ]);
  });

  it('a server that ignores the filter fails the pass unproven, and the cursor stays where it was', async () => {
    const db = join(dir, `${kind}-filter.duckdb`);
    expect((await sync(kind, db)).status).toBe('succeeded');
    update([7], 100);
    api.ignoreFilter = true;
    const run = await sync(kind, db);
    expect(run.status).toBe('failed');
    expect(run.error?.code).toBe('TRB_SOURCE_CONTRACT');
    expect(run.error?.message).toContain('ignores the filter');
    const state = await storedState(db);
    expect(state.complete).toBe(false);
    expect(state.restart).toBeDefined();
    expect(state.source.cursor).toBe(at(9));
    expect(state.source.max_seen).toBeUndefined();
  });
});
