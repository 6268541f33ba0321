/**
 * The Feathers dialect: a REST API served by Feathers services (`GET /<prefix>/<service>[/<id>]`), with
 * `$limit`/`$skip` paging, `$sort[field]`, filters like `updatedAt[$gt]`, the `{total, limit, skip, data}`
 * envelope and Feathers error bodies. A connector's simulator supplies its collections, its credential
 * check and any routes of its own; paging, filtering, sorting, the envelope and the contract deviations
 * live here.
 *
 * Incremental reads (range filters on createdAt or updatedAt, sorted by the same field, or no filter at
 * all) are answered from ordered views in O(log n + page); anything else is answered correctly by
 * scanning and sorting, which is fine for the small datasets such queries are tested with.
 */
import type { ContractPlan } from '../contract.js';
import { jsonPage } from '../json-page.js';
import type { MutationClock } from '../mutation-clock.js';
import { Prefetcher } from '../prefetch.js';
import type { Dialect, Routed, SimRequest, SimResponse } from '../server.js';
import type { Bound } from '../slot-sequence.js';
import type { FeathersCollection } from './feathers-collection.js';
import { deviantListPage } from './feathers-deviations.js';
import { feathersError } from './feathers-errors.js';
import { matches, order, RANGE_OPS, TIME_FIELDS, validFilters } from './feathers-filter.js';
import {
  type FeathersPaginate,
  type FeathersQuery,
  type Filter,
  parseFeathersQuery,
} from './feathers-query.js';

export { FeathersCollection, type FeathersResourceDef } from './feathers-collection.js';
export { feathersError } from './feathers-errors.js';
export type { FeathersPaginate, FeathersQuery } from './feathers-query.js';

const JSON_TYPE = 'application/json; charset=utf-8';

export interface ListResult {
  total: number;
  /** The JSON of each record on the page. */
  records: string[];
}

/** A route of the connector's own under the prefix (`/api/me`): for a valid credential; never a list. */
export type FeathersExtraRoute = (req: SimRequest) => SimResponse;

export interface FeathersDialectOptions {
  /** The first path segment of every route ('api'). */
  prefix: string;
  /** Collections by service path segment ('job-roles', ...). */
  services: ReadonlyMap<string, FeathersCollection>;
  /** The credential a request carries if it is a valid one (it keys the rate limit), else undefined: 401. */
  authenticate(req: SimRequest): string | undefined;
  paginate: FeathersPaginate;
  contract: ContractPlan;
  clock: MutationClock;
  /** Routes of the connector's own, by segment; they take no id. */
  extra?: Readonly<Record<string, FeathersExtraRoute>>;
}

/** A JSON response as Feathers sends it. */
export function feathersJson(status: number, body: string | Buffer): SimResponse {
  return { status, body, contentType: JSON_TYPE };
}

export function feathersDialect(opts: FeathersDialectOptions): Dialect {
  const json = feathersJson;
  const extra = opts.extra ?? {};
  const prefetch = new Prefetcher<{ total: number; body: Buffer }>();

  /** One list page; `total` and body, or the message of a 400. */
  const page = (
    col: FeathersCollection,
    q: FeathersQuery,
  ): { total: number; body: Buffer } | { error: string } => {
    const result = runListQuery(col, q);
    if ('error' in result) return result;
    const head = `{"total":${result.total},"limit":${q.limit},"skip":${q.skip},"data":[`;
    return { total: result.total, body: jsonPage(head, result.records, ']}') };
  };

  const list = (collection: FeathersCollection, req: SimRequest): SimResponse => {
    const q = parseFeathersQuery(req.query, opts.paginate);
    if ('error' in q) return json(400, feathersError(400, q.error));
    if (opts.contract.active || collection.irregular) {
      const d = deviantListPage(collection, q, opts.contract, opts.clock);
      if ('error' in d) return json(400, feathersError(400, d.error));
      const head = `{"total":${d.total},"limit":${d.limit},"skip":${q.skip},"data":[`;
      return json(200, jsonPage(head, d.records, ']}'));
    }
    const shape = `${collection.def.name}|${JSON.stringify([q.filters, q.sort, q.limit])}`;
    const key = (skip: number) => `${collection.data.version}|${skip}|${shape}`;
    const result = prefetch.take(key(q.skip)) ?? page(collection, q);
    if ('error' in result) return json(400, feathersError(400, result.error));
    // A reader paging by $skip asks for the next page next: build it while this one is being parsed.
    const next = q.skip + q.limit;
    if (prefetch.inSequence(shape, q.skip, q.limit) && q.limit > 0 && next < result.total) {
      prefetch.prepare(
        key(next),
        () => page(collection, { ...q, skip: next }) as { total: number; body: Buffer },
      );
    }
    return json(200, result.body);
  };

  return {
    errorBody: (status) => feathersError(status),

    route(req: SimRequest): Routed {
      const segments = req.path.split('/').filter((s) => s !== '');
      const notFound = (): Routed => ({
        kind: 'reply',
        response: json(404, feathersError(404, undefined, { url: req.path })),
      });
      if (segments[0] !== opts.prefix || segments.length < 2 || segments.length > 3) return notFound();
      const resource = segments[1] as string;
      const col = opts.services.get(resource);
      const own = Object.hasOwn(extra, resource) ? extra[resource] : undefined;
      if ((!col && !own) || (own && segments.length > 2)) return notFound();
      const stream = col?.def.name;
      const isList = col !== undefined && segments.length === 2;
      const credential = opts.authenticate(req);
      if (credential === undefined) {
        return { kind: 'reply', stream, list: isList, response: json(401, feathersError(401)) };
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return { kind: 'reply', stream, list: isList, response: json(405, feathersError(405)) };
      }
      if (own) return { kind: 'serve', list: false, credential, respond: () => own(req) };
      const collection = col as FeathersCollection;

      if (segments.length === 3) {
        let id: string;
        try {
          id = decodeURIComponent(segments[2] as string);
        } catch {
          id = segments[2] as string;
        }
        return {
          kind: 'serve',
          stream,
          list: false,
          credential,
          respond: () => {
            const slot = collection.slotOf(id);
            if (slot === undefined) return json(404, feathersError(404, `No record found for id '${id}'`));
            return json(200, collection.json(slot) as string);
          },
        };
      }
      return { kind: 'serve', stream, list: true, credential, respond: () => list(collection, req) };
    },
  };
}

/** A well-behaved list query: ordered views where they answer it, a scan otherwise. */
export function runListQuery(col: FeathersCollection, q: FeathersQuery): ListResult | { error: string } {
  const filters = validFilters(col, q);
  if ('error' in filters) return filters;
  return (col.irregular ? undefined : fastPath(col, q, filters)) ?? scan(col, q, filters);
}

/** Views for the two orders the data is generated in: creation (the default) and last update. */
function fastPath(col: FeathersCollection, q: FeathersQuery, filters: Filter[]): ListResult | undefined {
  // A tie-breaker after the timestamp (`$sort[updatedAt]=1&$sort[id]=1`, as the connector sends) never
  // decides while every timestamp is distinct, so the one-key view answers it; with tie groups it must scan.
  const tieBreaker = q.sort[1];
  if (q.sort.length > 2 || (tieBreaker && (col.tiesPossible || tieBreaker.dir !== q.sort[0]?.dir))) {
    return undefined;
  }
  const field = q.sort[0]?.field ?? 'createdAt';
  const descending = q.sort[0]?.dir === -1;
  if (!TIME_FIELDS.has(field)) return undefined;
  if (!filters.every((f) => f.field === field && RANGE_OPS.has(f.op))) return undefined;
  let lower: Bound | undefined;
  let upper: Bound | undefined;
  for (const f of filters) {
    const value = Date.parse(f.values[0]);
    if (f.op === '$gt' || f.op === '$gte') lower = tighter(lower, { value, inclusive: f.op === '$gte' }, 1);
    else upper = tighter(upper, { value, inclusive: f.op === '$lte' }, -1);
  }
  const seq =
    field === 'createdAt'
      ? col.data.inSlotOrder().within(col.byCreatedAt, lower, upper)
      : col.data.inWriteOrder().within(col.byUpdatedAt, lower, upper);
  const slots = seq.page(q.skip, q.limit, descending);
  return { total: seq.length, records: slots.map((s) => col.json(s) as string) };
}

/** The stricter of two bounds; `side` is 1 for lower bounds (larger is stricter), -1 for upper. */
function tighter(a: Bound | undefined, b: Bound, side: 1 | -1): Bound {
  if (!a) return b;
  if (a.value !== b.value) return (b.value - a.value) * side > 0 ? b : a;
  return a.inclusive ? b : a;
}

function scan(col: FeathersCollection, q: FeathersQuery, filters: Filter[]): ListResult {
  const hits: Array<{ json: string; record: Record<string, unknown> }> = [];
  for (const slot of col.data.inSlotOrder()) {
    const json = col.json(slot) as string;
    const record = JSON.parse(json) as Record<string, unknown>;
    if (filters.every((f) => matches(record[f.field], f))) hits.push({ json, record });
  }
  if (q.sort.length > 0) {
    // Array#sort is stable, so ties keep the default (creation) order.
    hits.sort((a, b) => {
      for (const { field, dir } of q.sort) {
        const c = order(a.record[field], b.record[field]);
        if (c !== 0) return c * dir;
      }
      return 0;
    });
  }
  return { total: hits.length, records: hits.slice(q.skip, q.skip + q.limit).map((h) => h.json) };
}
