/**
 * The Baton API on the Django REST framework dialect: endpoints under `/api/`, authenticated by
 * `?api_key=` (a recognised key without read permission answers 403). Routing, paging, filters and the
 * envelope are the dialect's.
 */
import type { ContractPlan } from '../../../simulator/contract.js';
import { type DrfCollection, djangoRestDialect } from '../../../simulator/dialects/django-rest.js';
import type { MutationClock } from '../../../simulator/mutation-clock.js';
import type { Dialect } from '../../../simulator/server.js';
import { API_PREFIX } from './stream-def.js';

export interface BatonDialectOptions {
  collections: ReadonlyMap<string, DrfCollection>;
  apiKey: string;
  /** A key that authenticates but may not read (403). */
  forbiddenKey: string;
  pageSizeMax: number;
  contract: ContractPlan;
  clock: MutationClock;
}

export function batonDialect(opts: BatonDialectOptions): Dialect {
  return djangoRestDialect({
    prefix: API_PREFIX,
    collections: opts.collections,
    reserved: ['api_key'],
    pageSizeMax: opts.pageSizeMax,
    contract: opts.contract,
    clock: opts.clock,
    authenticate: (req) => {
      const key = req.query.last.api_key;
      if (key === undefined || (key !== opts.apiKey && key !== opts.forbiddenKey)) return { status: 401 };
      return key === opts.forbiddenKey ? { status: 403 } : { credential: key };
    },
  });
}
