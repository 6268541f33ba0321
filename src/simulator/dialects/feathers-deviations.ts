/**
 * A Feathers list page under contract deviations (../contract.ts): a capped `$limit`, a wrong `total`, an
 * empty page, ties reordered per request, an ignored `$sort` or `updatedAt` filter, records inserted or
 * deleted at the front of the list between page requests. Answered by scanning, which is fine for the
 * small datasets these modes are tested with; the well-behaved path (feathers.ts) is not touched.
 */
import { type ContractPlan, shuffleRange } from '../contract.js';
import type { MutationClock } from '../mutation-clock.js';
import type { FeathersCollection } from './feathers-collection.js';
import { matches, order, validFilters } from './feathers-filter.js';
import type { FeathersQuery, Filter, SortKey } from './feathers-query.js';

/** What a capped server answers at most, whatever `$limit` asks. */
export const CAPPED_LIMIT = 100;

export interface DeviantPage {
  total: number;
  /** The limit the envelope reports: the one applied. */
  limit: number;
  records: string[];
}

interface Hit {
  slot: number;
  record: Record<string, unknown>;
}

export function deviantListPage(
  col: FeathersCollection,
  q: FeathersQuery,
  plan: ContractPlan,
  clock: MutationClock,
): DeviantPage | { error: string } {
  const valid = validFilters(col, q);
  if ('error' in valid) return valid;
  const filters = plan.has('ignore-filter')
    ? valid.filter(
        (f) =>
          !(f.field === 'updatedAt' && f.op !== '$eq' && f.op !== '$ne' && f.op !== '$in' && f.op !== '$nin'),
      )
    : valid;
  const sort = plan.has('ignore-sort') ? [] : plan.has('unstable-sort') ? q.sort.slice(0, 1) : q.sort;
  const n = plan.active ? plan.nextRequest(col.def.name) : 0;

  let hits = ordered(col, filters, sort);
  const drift = plan.drift(n);
  if (drift.delete && hits.length > 0) col.remove(hits[0]!.slot);
  if (drift.insert) {
    const head = hits[0];
    if (head) col.insertFront(col.createdAtOf(head.slot), col.updatedAtOf(head.slot));
    else {
      const t = clock.next();
      col.insertFront(t, t);
    }
  }
  if (drift.delete || drift.insert) hits = ordered(col, filters, sort);

  if (plan.has('unstable-sort') && sort.length > 0) {
    const rng = plan.rng(col.def.name, n);
    const key = sort[0]!.field;
    for (let a = 0; a < hits.length; ) {
      let b = a + 1;
      while (b < hits.length && order(hits[a]!.record[key], hits[b]!.record[key]) === 0) b++;
      if (b - a > 1) shuffleRange(hits, a, b, rng);
      a = b;
    }
  }

  const limit = plan.has('cap-page-size') ? Math.min(q.limit, CAPPED_LIMIT) : q.limit;
  const records = plan.emptyPage(n)
    ? []
    : hits.slice(q.skip, q.skip + limit).map((h) => col.json(h.slot) as string);
  return { total: plan.reportedCount(hits.length), limit, records };
}

/** The records the query selects, in its order; ties keep front-inserted records first, then slot order. */
function ordered(col: FeathersCollection, filters: Filter[], sort: SortKey[]): Hit[] {
  const hits: Hit[] = [];
  for (const slot of col.data.inSlotOrder()) {
    const record = JSON.parse(col.data.json(slot) as string) as Record<string, unknown>;
    if (filters.every((f) => matches(record[f.field], f))) hits.push({ slot, record });
  }
  const front = (h: Hit) => (col.front.has(h.slot) ? -h.slot : 0);
  // Array#sort is stable, so remaining ties keep slot order.
  hits.sort((a, b) => {
    for (const { field, dir } of sort) {
      const c = order(a.record[field], b.record[field]);
      if (c !== 0) return c * dir;
    }
    return front(a) - front(b);
  });
  return hits;
}
