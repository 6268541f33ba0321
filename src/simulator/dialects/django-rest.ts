/**
 * The Django REST framework dialect: a DefaultRouter under a prefix (`/<prefix>/` root map,
 * `/<prefix>/<endpoint>/[<id>/]`), Django's trailing-slash redirects (APPEND_SLASH), PageNumberPagination
 * with its `{count, next, previous, results}` envelope, filters on relations (django-filter on a foreign
 * key), DRF error bodies, and the contract deviations. A connector's simulator supplies its collections
 * and its credential check.
 */
import { type ContractPlan, shuffleRange } from '../contract.js';
import { jsonPage } from '../json-page.js';
import type { MutationClock } from '../mutation-clock.js';
import type { Dialect, Routed, SimRequest, SimResponse } from '../server.js';
import type { DrfCollection, SlotList } from './django-rest-collection.js';
import { drfError, throttled } from './django-rest-errors.js';
import { pageCount, pageLink, pageSize, resolvePage } from './django-rest-pagination.js';

export {
  DrfCollection,
  type DrfResourceDef,
  type DrfStamps,
  ORIGIN,
  type SlotList,
} from './django-rest-collection.js';
export { drfError, throttled } from './django-rest-errors.js';

/** Query parameters DRF itself reads, which are never filters. */
const PAGING = ['page', 'page_size', 'format'];

/** Who a request is: a credential that may read (it keys the rate limit), or the status that refuses it. */
export type DrfAuth = { credential: string } | { status: 401 | 403 };

export interface DrfDialectOptions {
  /** The router's first path segment ('api'). */
  prefix: string;
  /** Endpoints by name, in the root map's order. */
  collections: ReadonlyMap<string, DrfCollection>;
  authenticate(req: SimRequest): DrfAuth;
  /** Query parameters of the API's own that are not filters (an `api_key`, say). */
  reserved?: readonly string[];
  /** max_page_size. */
  pageSizeMax: number;
  contract: ContractPlan;
  clock: MutationClock;
}

/** What a capped server answers at most, whatever `page_size` asks. */
export const CAPPED_PAGE_SIZE = 25;
/** 'unstable-sort': blocks of this many list positions (offset by half a block, so they straddle page
 * boundaries) are reordered on every request, like ties in a non-unique ordering key. */
const TIE_BLOCK = 10;

export function djangoRestDialect(opts: DrfDialectOptions): Dialect {
  const reserved = new Set([...PAGING, ...(opts.reserved ?? [])]);
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
      if (segments[0] !== opts.prefix || segments.length > 3) return reply(404);
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
      const auth = opts.authenticate(req);
      if ('status' in auth) return reply(auth.status, stream, undefined, list);
      const key = auth.credential;
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
            for (const name of opts.collections.keys()) root[name] = `${req.origin}/${opts.prefix}/${name}/`;
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
            const slot = col.slotOf(segments[2]);
            return slot === undefined ? json(404, drfError(404)) : json(200, col.json(slot, req.origin));
          },
        };
      }
      return {
        kind: 'serve',
        stream,
        list: true,
        credential: key,
        respond: () => listPage(col, req, opts, reserved),
      };
    },
  };
}

function listPage(
  col: DrfCollection,
  req: SimRequest,
  opts: DrfDialectOptions,
  reserved: ReadonlySet<string>,
): SimResponse {
  const q = req.query.last;
  const plan = opts.contract;
  const n = plan.active ? plan.nextRequest(col.def.name) : 0;
  if (plan.active) drift(col, plan, n, opts.clock);
  const max = plan.has('cap-page-size') ? Math.min(opts.pageSizeMax, CAPPED_PAGE_SIZE) : opts.pageSizeMax;
  const size = pageSize(q.page_size, max);
  const filters = Object.entries(q).filter(([k]) => !reserved.has(k) && col.relationFields.has(k));
  let seq: SlotList;
  if (filters.length > 0) {
    const slots = col.filtered(filters);
    seq = { length: slots.length, page: (skip, limit) => slots.slice(skip, skip + limit) };
  } else {
    seq = col.listOrder();
  }
  const count = seq.length;
  let slotsAt = (skip: number) => seq.page(skip, size);
  if (plan.has('unstable-sort')) slotsAt = (skip) => reorderedPage(seq, skip, size, plan, col.def.name, n);
  const pages = pageCount(count, size);
  const page = resolvePage(q.page, pages);
  if (page === undefined) return { status: 404, body: drfError(404, 'Invalid page.') };
  const base = `${req.origin}${req.path}`;
  const next = page < pages ? pageLink(base, q, page + 1) : null;
  const previous = page > 1 ? pageLink(base, q, page === 2 ? undefined : page - 1) : null;
  const shown = plan.active ? plan.reportedCount(count) : count;
  const head = `{"count":${shown},"next":${JSON.stringify(next)},"previous":${JSON.stringify(previous)},"results":[`;
  const records = plan.emptyPage(n) ? [] : slotsAt((page - 1) * size).map((s) => col.json(s, req.origin));
  return { status: 200, body: jsonPage(head, records, ']}') };
}

/** Offset drift before request `n`: the front record deleted and/or a new one inserted at the front. */
function drift(col: DrfCollection, plan: ContractPlan, n: number, clock: MutationClock): void {
  const d = plan.drift(n);
  if (d.delete) {
    const [head] = col.listOrder().page(0, 1);
    if (head !== undefined) col.data.remove(head);
  }
  if (d.insert) col.insertFront(clock);
}

/** A page of the list with every tie block reordered for this request. */
function reorderedPage(
  seq: SlotList,
  skip: number,
  size: number,
  plan: ContractPlan,
  stream: string,
  n: number,
): number[] {
  const half = TIE_BLOCK / 2;
  const blockStart = (p: number) => (p < half ? 0 : half + Math.floor((p - half) / TIE_BLOCK) * TIE_BLOCK);
  const from = blockStart(skip);
  const to = blockStart(skip + size) + TIE_BLOCK;
  const window = seq.page(from, to - from);
  const rng = plan.rng(stream, n);
  for (let a = 0; a < window.length; ) {
    const b = Math.min(window.length, blockStart(from + a) + (from + a < half ? half : TIE_BLOCK) - from);
    shuffleRange(window, a, b, rng);
    a = b;
  }
  return window.slice(skip - from, skip - from + size);
}
