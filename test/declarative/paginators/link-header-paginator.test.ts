/**
 * RFC 8288 Link-header paging through DeclarativeSource against a loopback API (GitHub style): relative and
 * absolute links, the end when no rel="next" is left, links to another origin refused, loops failing loudly,
 * and the incremental date-time cursor composed with it.
 */
import { describe, expect, it } from 'vitest';
import type { DeclarativeSource } from '../../../src/declarative/declarative-source.js';
import { closeAfterEach, readPages } from '../../helpers/declarative.js';
import { sendJson, type TestServer } from '../../helpers/test-server.js';

const N = 23;
const rows = Array.from({ length: N }, (_, i) => ({
  id: i + 1,
  updated_at: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
}));

let server: TestServer | undefined;
let source: DeclarativeSource | undefined;
const opened = closeAfterEach();

interface ApiOpts {
  relative?: boolean;
  /** Page whose next link points to another origin. */
  foreignAt?: number;
  /** Page whose next link points back to page 1. */
  loopAt?: number;
}

async function api(o: ApiOpts = {}) {
  server = await opened.serve((_req, res, seen) => {
    const q = seen.url.searchParams;
    const per = Number(q.get('per_page') ?? 10);
    const page = Number(q.get('page') ?? 1);
    const since = q.get('since');
    const hits = rows.filter((r) => since === null || r.updated_at >= since);
    const data = hits.slice((page - 1) * per, page * per);
    const link = (p: number) => {
      const u = new URL(seen.url.pathname, server!.origin);
      for (const [k, v] of q) u.searchParams.set(k, v);
      u.searchParams.set('page', String(p));
      return o.relative ? `${u.pathname}${u.search}` : u.toString();
    };
    const links = [`<${link(1)}>; rel="first"`];
    if (page * per < hits.length) {
      let next = link(page + 1);
      if (o.foreignAt === page) next = `http://127.0.0.2:1/steal?page=${page + 1}`;
      if (o.loopAt === page) next = link(1);
      links.unshift(`<${next}>; rel="next"`);
    }
    links.push(`<${link(Math.max(1, Math.ceil(hits.length / per)))}>; rel="last"`);
    sendJson(res, 200, data, { link: links.join(', ') });
  });
  return server;
}

const manifest = (extra = '') => `
version: 1
name: links
title: Links
spec:
  properties:
    base_url: { type: string }
    token: { type: string, secret: true }
requester:
  base_url: "{{ config.base_url }}"
  authenticator: { type: bearer, token: "{{ config.token }}" }
paginator:
  type: link_header
  page_size_param: per_page
  page_size: 10
${extra}
check: { stream: issues }
streams:
  - name: issues
    path: repos/acme/widgets/issues
    primary_key: [id]
    schema: issues.json
`;

const ids = (pages: { records: Record<string, unknown>[] }[]) =>
  pages.flatMap((p) => p.records.map((r) => r.id));

describe('Link-header paginator over HTTP', () => {
  it.each([false, true])('follows rel="next" until none is left (relative links: %s)', async (relative) => {
    const s = await api({ relative });
    source = opened.source(manifest(), { base_url: s.origin, token: 'tok-SECRET-1' });
    const { pages, error } = await readPages(source, 'issues');
    expect(error).toBeUndefined();
    expect(ids(pages)).toEqual(rows.map((r) => r.id));
    expect(s.requests.map((r) => r.url.searchParams.get('page'))).toEqual([null, '2', '3']);
    expect(s.requests.every((r) => r.headers.authorization === 'Bearer tok-SECRET-1')).toBe(true);
    expect(pages.at(-1)!.checkpoint).toEqual({ in_progress: false });
    expect(String(pages[0]!.checkpoint.next)).toContain('page=2');
    expect(JSON.stringify(pages.map((p) => p.checkpoint))).not.toContain('tok-SECRET-1');
  });

  it('resumes at the committed next link', async () => {
    const s = await api();
    source = opened.source(manifest(), { base_url: s.origin, token: 'tok' });
    const first = await readPages(source, 'issues', 'full_refresh', undefined, 1);
    const rest = await readPages(source, 'issues', 'full_refresh', first.pages[0]!.checkpoint);
    expect(rest.error).toBeUndefined();
    expect(ids(rest.pages)).toEqual(rows.slice(10).map((r) => r.id));
  });

  it('refuses a next link to another origin: the credential stays at the configured one', async () => {
    const s = await api({ foreignAt: 1 });
    source = opened.source(manifest(), { base_url: s.origin, token: 'tok' });
    const { error } = await readPages(source, 'issues');
    expect(error).toMatchObject({ code: 'TRB_SOURCE_REDIRECT' });
    expect(s.requests).toHaveLength(1);
  });

  it('a link back to a page already read fails the pass instead of reading forever', async () => {
    const s = await api({ loopAt: 2 });
    source = opened.source(manifest(), { base_url: s.origin, token: 'tok' });
    const { pages, error } = await readPages(source, 'issues');
    expect(error).toMatchObject({ code: 'TRB_SOURCE_BAD_RESPONSE' });
    expect(error!.message).toContain('circle');
    expect(pages.every((p) => p.checkpoint.in_progress === true)).toBe(true);
  });

  it('composes with the incremental cursor: filtered requests, cursor moved only by the proven last page', async () => {
    const s = await api();
    source = opened.source(manifest('incremental:\n  cursor_field: updated_at\n  filter_param: since'), {
      base_url: s.origin,
      token: 'tok',
    });
    const from = rows[2]!.updated_at;
    const { pages, error } = await readPages(source, 'issues', 'incremental', {
      cursor: from,
      in_progress: false,
    });
    expect(error).toBeUndefined();
    expect(ids(pages)).toEqual(rows.slice(2).map((r) => r.id));
    for (const r of s.requests) expect(r.url.searchParams.get('since')).toBe(from);
    expect(pages.slice(0, -1).every((p) => p.checkpoint.cursor === from)).toBe(true);
    expect(pages.at(-1)!.checkpoint).toMatchObject({ in_progress: false, cursor: rows.at(-1)!.updated_at });
  });
});
