/**
 * The Humaans API on the Feathers dialect: bearer auth, the services under `/api`, and Humaans' own
 * `/api/me` and `/api/token-info`. Paging, filters, sorting and the envelope are the dialect's.
 */
import type { ContractPlan } from '../../../simulator/contract.js';
import {
  type FeathersCollection,
  feathersDialect,
  feathersError,
  feathersJson as json,
} from '../../../simulator/dialects/feathers.js';
import type { MutationClock } from '../../../simulator/mutation-clock.js';
import type { Dialect, SimRequest } from '../../../simulator/server.js';

const SCOPES = ['public:read', 'private:read', 'documents:read', 'compensations:read'];
/** Humaans pages hold 100 records unless `$limit` asks for up to 250. */
const PAGINATE = { default: 100, max: 250 };

export interface HumaansDialectOptions {
  /** Collections by URL path segment ('job-roles', ...). */
  byPath: ReadonlyMap<string, FeathersCollection>;
  token: string;
  contract: ContractPlan;
  clock: MutationClock;
}

export function humaansDialect(opts: HumaansDialectOptions): Dialect {
  const people = opts.byPath.get('people');

  /** The token's owner: the first live person. */
  const me = (): string | undefined => {
    if (!people) return undefined;
    const [slot] = people.data.inSlotOrder().page(0, 1);
    return slot === undefined ? undefined : people.json(slot);
  };

  return feathersDialect({
    prefix: 'api',
    services: opts.byPath,
    paginate: PAGINATE,
    contract: opts.contract,
    clock: opts.clock,
    authenticate: (req: SimRequest) => {
      const m = /^Bearer\s+(.+)$/i.exec((req.headers.authorization ?? '').trim());
      return m !== null && m[1] === opts.token ? opts.token : undefined;
    },
    extra: {
      me: () => {
        const person = me();
        return person ? json(200, person) : json(404, feathersError(404, 'No record found for id me'));
      },
      'token-info': () => {
        const person = me();
        const personId = person ? (JSON.parse(person) as { id: string }).id : null;
        return json(
          200,
          JSON.stringify({ id: 'tok_simulator', personId, label: 'tributary simulator', scopes: SCOPES }),
        );
      },
    },
  });
}
