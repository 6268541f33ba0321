/**
 * Routing and HTTP conventions of the Humaans API: bearer auth, Feathers list envelopes and errors,
 * `GET /api/<resource>[/<id>]`, `/api/me` and `/api/token-info`.
 */
import type { ContractPlan } from '../../../simulator/contract.js';
import { jsonPage } from '../../../simulator/json-page.js';
import type { MutationClock } from '../../../simulator/mutation-clock.js';
import { Prefetcher } from '../../../simulator/prefetch.js';
import type { Dialect, Routed, SimRequest, SimResponse } from '../../../simulator/server.js';
import type { HumaansCollection } from './collection.js';
import { deviantListPage } from './deviant-list.js';
import { feathersError } from './feathers-errors.js';
import { type FeathersQuery, parseFeathersQuery } from './feathers-query.js';
import { runListQuery } from './list-query.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const SCOPES = ['public:read', 'private:read', 'documents:read', 'compensations:read'];

export interface HumaansDialectOptions {
  /** Collections by URL path segment ('job-roles', ...). */
  byPath: ReadonlyMap<string, HumaansCollection>;
  token: string;
  contract: ContractPlan;
  clock: MutationClock;
}

export function humaansDialect(opts: HumaansDialectOptions): Dialect {
  const json = (status: number, body: string | Buffer): SimResponse => ({
    status,
    body,
    contentType: JSON_TYPE,
  });
  const people = opts.byPath.get('people');
  const prefetch = new Prefetcher<{ total: number; body: Buffer }>();

  /** One list page; `total` and body, or the message of a 400. */
  const page = (
    col: HumaansCollection,
    q: FeathersQuery,
  ): { total: number; body: Buffer } | { error: string } => {
    const result = runListQuery(col, q);
    if ('error' in result) return result;
    const head = `{"total":${result.total},"limit":${q.limit},"skip":${q.skip},"data":[`;
    return { total: result.total, body: jsonPage(head, result.records, ']}') };
  };

  const authorized = (req: SimRequest): boolean => {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header.trim());
    return m !== null && m[1] === opts.token;
  };

  /** The token's owner: the first live person. */
  const me = (): string | undefined => {
    if (!people) return undefined;
    const [slot] = people.data.inSlotOrder().page(0, 1);
    return slot === undefined ? undefined : people.json(slot);
  };

  return {
    errorBody: (status) => feathersError(status),

    route(req: SimRequest): Routed {
      const segments = req.path.split('/').filter((s) => s !== '');
      const notFound = (): Routed => ({
        kind: 'reply',
        response: json(404, feathersError(404, undefined, { url: req.path })),
      });
      if (segments[0] !== 'api' || segments.length < 2 || segments.length > 3) return notFound();
      const resource = segments[1];
      const col = opts.byPath.get(resource);
      const special = resource === 'me' || resource === 'token-info';
      if ((!col && !special) || (special && segments.length > 2)) return notFound();
      const stream = col?.def.name;
      const list = col !== undefined && segments.length === 2;
      if (!authorized(req)) return { kind: 'reply', stream, list, response: json(401, feathersError(401)) };
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return { kind: 'reply', stream, list, response: json(405, feathersError(405)) };
      }
      const credential = opts.token;

      if (resource === 'me') {
        return {
          kind: 'serve',
          list: false,
          credential,
          respond: () => {
            const person = me();
            return person ? json(200, person) : json(404, feathersError(404, 'No record found for id me'));
          },
        };
      }
      if (resource === 'token-info') {
        return {
          kind: 'serve',
          list: false,
          credential,
          respond: () => {
            const person = me();
            const personId = person ? (JSON.parse(person) as { id: string }).id : null;
            return json(
              200,
              JSON.stringify({ id: 'tok_simulator', personId, label: 'tributary simulator', scopes: SCOPES }),
            );
          },
        };
      }
      const collection = col as HumaansCollection;

      if (segments.length === 3) {
        let id: string;
        try {
          id = decodeURIComponent(segments[2]);
        } catch {
          id = segments[2];
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

      return {
        kind: 'serve',
        stream,
        list: true,
        credential,
        respond: () => {
          const q = parseFeathersQuery(req.query);
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
        },
      };
    },
  };
}
