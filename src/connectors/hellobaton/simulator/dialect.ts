/**
 * Routing and HTTP conventions of the Baton API (Django + DRF): `?api_key=` auth, trailing-slash
 * redirects (Django's APPEND_SLASH), the DefaultRouter root map, page-number pagination and detail views.
 */
import { jsonPage } from '../../../simulator/json-page.js';
import type { Dialect, Routed, SimRequest, SimResponse } from '../../../simulator/server.js';
import type { BatonCollection } from './collection.js';
import { drfError, throttled } from './drf-errors.js';
import { pageCount, pageLink, pageSize, resolvePage } from './drf-pagination.js';

/** Query parameters that are not filters. */
const RESERVED = new Set(['api_key', 'page', 'page_size', 'format']);

export interface BatonDialectOptions {
  collections: ReadonlyMap<string, BatonCollection>;
  apiKey: string;
  /** A key that authenticates but may not read (403). */
  forbiddenKey: string;
  pageSizeMax: number;
}

export function batonDialect(opts: BatonDialectOptions): Dialect {
  const json = (status: number, body: string | Buffer): SimResponse => ({ status, body });
  const reply = (status: number, stream?: string, detail?: string, list = false): Routed => ({
    kind: 'reply',
    stream,
    list,
    response: json(status, drfError(status, detail)),
  });

  return {
    errorBody: (status, retryAfter) => (status === 429 ? throttled(retryAfter) : drfError(status)),

    route(req: SimRequest): Routed {
      const segments = req.path.split('/').filter((s) => s !== '');
      if (segments[0] !== 'api' || segments.length > 3) return reply(404);
      const stream = segments[1];
      const col = stream === undefined ? undefined : opts.collections.get(stream);
      if (stream !== undefined && !col) return reply(404);
      if (segments.length === 3 && !/^\d+$/.test(segments[2])) return reply(404, stream);
      if (!req.path.endsWith('/')) {
        // Django's APPEND_SLASH: a permanent redirect to the slashed path, query string kept.
        return {
          kind: 'reply',
          stream,
          response: {
            status: 301,
            body: '',
            contentType: 'text/html; charset=utf-8',
            headers: { Location: `${req.path}/${req.search}` },
          },
        };
      }
      const list = col !== undefined && segments.length === 2;
      const key = req.query.last.api_key;
      if (key === undefined || (key !== opts.apiKey && key !== opts.forbiddenKey)) {
        return reply(401, stream, undefined, list);
      }
      if (key === opts.forbiddenKey) return reply(403, stream, undefined, list);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return reply(405, stream, `Method "${req.method}" not allowed.`, list);
      }

      if (!col) {
        return {
          kind: 'serve',
          list: false,
          credential: key,
          respond: () => {
            const root: Record<string, string> = {};
            for (const name of opts.collections.keys()) root[name] = `${req.origin}/api/${name}/`;
            return json(200, JSON.stringify(root));
          },
        };
      }
      if (segments.length === 3) {
        return {
          kind: 'serve',
          stream,
          list: false,
          credential: key,
          respond: () => {
            const slot = col.slotOf(Number(segments[2]));
            return slot === undefined ? json(404, drfError(404)) : json(200, col.json(slot, req.origin));
          },
        };
      }
      return {
        kind: 'serve',
        stream,
        list: true,
        credential: key,
        respond: () => listPage(col, req, opts.pageSizeMax),
      };
    },
  };
}

function listPage(col: BatonCollection, req: SimRequest, pageSizeMax: number): SimResponse {
  const q = req.query.last;
  const size = pageSize(q.page_size, pageSizeMax);
  const filters = Object.entries(q).filter(([k]) => !RESERVED.has(k) && col.relationFields.has(k));
  let count: number;
  let slotsAt: (skip: number) => number[];
  if (filters.length > 0) {
    const slots = col.filtered(filters);
    count = slots.length;
    slotsAt = (skip) => slots.slice(skip, skip + size);
  } else {
    const seq = col.data.inSlotOrder();
    count = seq.length;
    slotsAt = (skip) => seq.page(skip, size);
  }
  const pages = pageCount(count, size);
  const page = resolvePage(q.page, pages);
  if (page === undefined) return { status: 404, body: drfError(404, 'Invalid page.') };
  const base = `${req.origin}${req.path}`;
  const next = page < pages ? pageLink(base, q, page + 1) : null;
  const previous = page > 1 ? pageLink(base, q, page === 2 ? undefined : page - 1) : null;
  const head = `{"count":${count},"next":${JSON.stringify(next)},"previous":${JSON.stringify(previous)},"results":[`;
  const records = slotsAt((page - 1) * size).map((s) => col.json(s, req.origin));
  return { status: 200, body: jsonPage(head, records, ']}') };
}
