/**
 * Scripted APIs for the bad-input catalog: the Hellobaton envelope (`{count, next, results}`, page numbers)
 * and the Humaans one (`{total, limit, skip, data}` with the updatedAt keyset), where page 3 (or any page a
 * case chooses) is hostile. Good pages hold records with ids page*10+1 and page*10+2, so a case can tell
 * exactly which pages reached the destination.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeApi } from '../fake-api.js';
import { json, startFakeApi } from '../fake-api.js';

export const PAGE_SIZE = 2;

export function goodRecords(page: number): Record<string, unknown>[] {
  return [
    { id: page * 10 + 1, first_name: `first ${page}`, email: `p${page}a@example.test` },
    { id: page * 10 + 2, first_name: `second ${page}`, email: `p${page}b@example.test` },
  ];
}

/** What a hostile page answers: a body (JSON-encoded unless a string), or full control of the response. */
export type HostilePage =
  | { body: unknown; status?: number; contentType?: string }
  | { raw: (req: IncomingMessage, res: ServerResponse, origin: string) => void };

/** Send a hostile page: a string body as is, any other body as JSON, or hand the response over. */
function answerHostile(h: HostilePage, req: IncomingMessage, res: ServerResponse, origin: string): void {
  if ('raw' in h) h.raw(req, res, origin);
  else if (typeof h.body === 'string') {
    res.writeHead(h.status ?? 200, { 'content-type': h.contentType ?? 'application/json' });
    res.end(h.body);
  } else json(res, h.status ?? 200, h.body);
}

/**
 * A Django-REST API: pages 1..`pages`, `hostile` answers page `hostileAt` (default 3, the last one).
 * `results` of hostile pages may be given as records, in which case the envelope is built around them.
 */
export async function startDrfApi(opts: {
  pages?: number;
  hostileAt?: number;
  hostile: (page: number, origin: string) => HostilePage;
}): Promise<FakeApi> {
  const pages = opts.pages ?? 3;
  const hostileAt = opts.hostileAt ?? pages;
  return startFakeApi((req, res, origin) => {
    const url = new URL(req.url ?? '/', origin);
    const page = Number(url.searchParams.get('page') ?? '1');
    if (page === hostileAt) {
      return answerHostile(opts.hostile(page, origin), req, res, origin);
    }
    if (page > pages) return json(res, 404, { detail: 'Invalid page.' });
    json(res, 200, envelope(goodRecords(page), page, pages, origin));
  });
}

export function envelope(
  results: unknown,
  page: number,
  pages: number,
  origin: string,
): Record<string, unknown> {
  return {
    count: pages * PAGE_SIZE,
    next: page < pages ? `${origin}/api/users/?page=${page + 1}&page_size=${PAGE_SIZE}` : null,
    previous: page > 1 ? `${origin}/api/users/?page=${page - 1}&page_size=${PAGE_SIZE}` : null,
    results,
  };
}

/**
 * A Feathers API (Humaans shape) serving `documents`: `records` sorted by updatedAt, honouring $skip,
 * $limit and updatedAt[$gte]. Any request whose $skip reaches `hostileFrom` gets `hostile` instead.
 */
export async function startFeathersApi(opts: {
  records: Record<string, unknown>[];
  hostileFrom?: number;
  hostile?: () => HostilePage;
}): Promise<FakeApi> {
  return startFakeApi((req, res, origin) => {
    const url = new URL(req.url ?? '/', origin);
    const limit = Number(url.searchParams.get('$limit') ?? '100');
    const skip = Number(url.searchParams.get('$skip') ?? '0');
    const gte = url.searchParams.get('updatedAt[$gte]');
    const all = opts.records
      .filter((r) => gte === null || String(r.updatedAt) >= gte)
      .sort((a, b) => (String(a.updatedAt) < String(b.updatedAt) ? -1 : 1));
    if (opts.hostile && opts.hostileFrom !== undefined && skip >= opts.hostileFrom && gte === null) {
      return answerHostile(opts.hostile(), req, res, origin);
    }
    json(res, 200, { total: all.length, limit, skip, data: all.slice(skip, skip + limit) });
  });
}

export function feathersDocument(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `doc${String(i).padStart(4, '0')}`,
    name: `Document ${i}`,
    createdAt: new Date(Date.UTC(2024, 0, 1, 0, i)).toISOString(),
    updatedAt: new Date(Date.UTC(2024, 0, 1, 0, i)).toISOString(),
    ...extra,
  };
}
