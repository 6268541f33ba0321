/**
 * Cursor (token) paging through DeclarativeSource against a loopback API whose body carries the next page's
 * token: every record read once, the pass proven at its end, loops and empty runs failing loudly, resumes
 * exact, and the incremental date-time cursor composed with it.
 */
import { describe, expect, it } from 'vitest';
import type { DeclarativeSource } from '../../../src/declarative/declarative-source.js';
import { closeAfterEach, readPages } from '../../helpers/declarative.js';
import { sendJson, type TestServer } from '../../helpers/test-server.js';

const N = 25;
const rows = Array.from({ length: N }, (_, i) => ({
  id: i + 1,
  updatedAt: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
}));

let server: TestServer | undefined;
let source: DeclarativeSource | undefined;
const opened = closeAfterEach();

interface ApiOpts {
  /** What the last page says instead of a token: null, '' or nothing at all. */
  end?: 'null' | 'empty' | 'absent';
  /** Token the page after `from` hands out instead of the right one (a loop). */
  loopAt?: number;
  /** Offsets whose page is empty but still carries a token on. */
  emptyAt?: number[];
  /** Offset whose page repeats the previous page's last record. */
  duplicateAt?: number;
}

/** Tokens are `t<offset>` (`t10x` after an empty page also means 10); `limit` records a page; `since` filters on updatedAt >= since. */
async function api(o: ApiOpts = {}) {
  server = await opened.serve((_req, res, seen) => {
    const q = seen.url.searchParams;
    const limit = Number(q.get('limit') ?? 10);
    const token = q.get('cursor');
    const offset = token === null ? 0 : Number.parseInt(token.slice(1), 10);
    const since = q.get('since');
    const hits = rows.filter((r) => since === null || r.updatedAt >= since);
    let data = o.emptyAt?.includes(offset) ? [] : hits.slice(offset, offset + limit);
    if (o.duplicateAt === offset && offset > 0) data = [hits[offset - 1]!, ...data.slice(1)];
    const nextOffset = o.emptyAt?.includes(offset) ? offset : offset + limit;
    let next: string | null | undefined = nextOffset < hits.length ? `t${nextOffset}` : null;
    if (o.emptyAt?.includes(offset)) {
      next = `t${offset}x`;
      o.emptyAt = o.emptyAt.filter((e) => e !== offset);
    }
    if (next === null && o.end === 'empty') next = '';
    if (o.loopAt !== undefined && offset === o.loopAt) next = 't0';
    const meta: Record<string, unknown> = {};
    if (!(next === null && o.end === 'absent')) meta.next_cursor = next;
    sendJson(res, 200, { data, meta });
  });
  return server;
}

const manifest = (extra = '') => `
version: 1
name: tokens
title: Tokens
spec:
  properties:
    base_url: { type: string }
requester:
  base_url: "{{ config.base_url }}"
selector: { path: [data] }
paginator:
  type: cursor
  cursor_path: [meta, next_cursor]
  cursor_param: cursor
  page_size_param: limit
  page_size: 10
${extra}
check: { stream: items }
streams:
  - name: items
    path: items
    primary_key: [id]
    schema: items.json
`;

const ids = (pages: { records: Record<string, unknown>[] }[]) =>
  pages.flatMap((p) => p.records.map((r) => r.id));

describe('cursor (token) paginator over HTTP', () => {
  it.each(['null', 'empty', 'absent'] as const)(
    'sends each token back as a query parameter and ends when it is %s',
    async (end) => {
      const s = await api({ end });
      source = opened.source(manifest(), { base_url: s.origin });
      const { pages, error } = await readPages(source, 'items');
      expect(error).toBeUndefined();
      expect(ids(pages)).toEqual(rows.map((r) => r.id));
      expect(s.requests.map((r) => r.url.searchParams.get('cursor'))).toEqual([null, 't10', 't20']);
      expect(s.requests.every((r) => r.url.searchParams.get('limit') === '10')).toBe(true);
      expect(pages.map((p) => p.checkpoint)).toEqual([
        { token: 't10', in_progress: true },
        { token: 't20', in_progress: true },
        { in_progress: false },
      ]);
    },
  );

  it('resumes an interrupted pass at the committed token', async () => {
    const s = await api();
    source = opened.source(manifest(), { base_url: s.origin });
    const { pages, error } = await readPages(source, 'items', 'full_refresh', {
      token: 't20',
      in_progress: true,
    });
    expect(error).toBeUndefined();
    expect(ids(pages)).toEqual(rows.slice(20).map((r) => r.id));
    expect(s.requests[0]!.url.searchParams.get('cursor')).toBe('t20');
  });

  it('follows an empty page that still carries a token (the token, not the page, says whether more follows)', async () => {
    const s = await api({ emptyAt: [10] });
    source = opened.source(manifest(), { base_url: s.origin });
    const { pages, error } = await readPages(source, 'items');
    expect(error).toBeUndefined();
    expect(ids(pages)).toEqual(rows.map((r) => r.id));
    expect(pages.some((p) => p.records.length === 0)).toBe(true);
  });

  it('a token handed out twice in a pass is a loop: fails with TRB_SOURCE_BAD_RESPONSE instead of reading forever', async () => {
    const s = await api({ loopAt: 10 });
    source = opened.source(manifest(), { base_url: s.origin });
    // The first page hands out t10; the second hands out t0, which is new; the third (offset 0 again) hands
    // out t10 again: the loop.
    const { pages, error } = await readPages(source, 'items');
    expect(error).toMatchObject({ code: 'TRB_SOURCE_BAD_RESPONSE' });
    expect(error!.message).toContain('go round in a circle');
    expect(s.requests.length).toBeLessThanOrEqual(3);
    expect(pages.every((p) => p.checkpoint.in_progress === true)).toBe(true);
  });

  it('a record that comes twice in a pass fails its proof (TRB_SOURCE_CONTRACT) before the last page is yielded', async () => {
    const s = await api({ duplicateAt: 10 });
    source = opened.source(manifest(), { base_url: s.origin });
    const { pages, error } = await readPages(source, 'items');
    expect(error).toMatchObject({ code: 'TRB_SOURCE_CONTRACT' });
    expect(pages.every((p) => p.checkpoint.in_progress === true)).toBe(true);
  });

  describe('with the incremental date-time cursor', () => {
    const inc = `incremental:
  cursor_field: updatedAt
  filter_param: since`;

    it('filters from the committed cursor and advances only at the proven end of the pass', async () => {
      const s = await api();
      source = opened.source(manifest(inc), { base_url: s.origin });
      const from = rows[4]!.updatedAt;
      const { pages, error } = await readPages(source, 'items', 'incremental', {
        cursor: from,
        in_progress: false,
      });
      expect(error).toBeUndefined();
      expect(ids(pages)).toEqual(rows.slice(4).map((r) => r.id));
      for (const r of s.requests) expect(r.url.searchParams.get('since')).toBe(from);
      // Mid-pass checkpoints keep the committed cursor; the last one moves it to the newest value read.
      expect(pages.slice(0, -1).every((p) => p.checkpoint.cursor === from)).toBe(true);
      expect(pages.at(-1)!.checkpoint).toMatchObject({ in_progress: false, cursor: rows.at(-1)!.updatedAt });
    });

    it('a resume keeps the pass filter and the token, and ends at the newest value', async () => {
      const s = await api();
      source = opened.source(manifest(inc), { base_url: s.origin });
      const first = await readPages(source, 'items', 'incremental', undefined, 1);
      const cp = first.pages[0]!.checkpoint;
      expect(cp).toMatchObject({ token: 't10', in_progress: true, since: null });
      const rest = await readPages(source, 'items', 'incremental', cp);
      expect(rest.error).toBeUndefined();
      expect(ids(rest.pages)).toEqual(rows.slice(10).map((r) => r.id));
      expect(rest.pages.at(-1)!.checkpoint).toMatchObject({
        in_progress: false,
        cursor: rows.at(-1)!.updatedAt,
      });
    });

    it('a failed pass never advances the cursor', async () => {
      const s = await api({ duplicateAt: 10 });
      source = opened.source(manifest(inc), { base_url: s.origin });
      const from = rows[0]!.updatedAt;
      const { pages, error } = await readPages(source, 'items', 'incremental', {
        cursor: from,
        in_progress: false,
      });
      expect(error).toMatchObject({ code: 'TRB_SOURCE_CONTRACT' });
      expect(pages.every((p) => p.checkpoint.cursor === from)).toBe(true);
    });
  });
});
