/**
 * Runs a Feathers list query against a collection. Incremental reads (range filters on createdAt or
 * updatedAt, sorted by the same field, or no filter at all) are answered from ordered views in
 * O(log n + page); anything else is answered correctly by scanning and sorting, which is fine for the small
 * datasets such queries are tested with.
 */
import type { Bound } from '../../../simulator/slot-sequence.js';
import type { HumaansCollection } from './collection.js';
import type { FeathersQuery, Filter } from './feathers-query.js';

export interface ListResult {
  total: number;
  /** The JSON of each record on the page. */
  records: string[];
}

const RANGE_OPS = new Set(['$gt', '$gte', '$lt', '$lte']);
const TIME_FIELDS = new Set(['createdAt', 'updatedAt']);
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T/;

export function runListQuery(col: HumaansCollection, q: FeathersQuery): ListResult | { error: string } {
  const filters = validFilters(col, q);
  if ('error' in filters) return filters;
  return (col.irregular ? undefined : fastPath(col, q, filters)) ?? scan(col, q, filters);
}

/** The filters on known fields, or the 400 of a range filter on a timestamp that is not a date. */
export function validFilters(col: HumaansCollection, q: FeathersQuery): Filter[] | { error: string } {
  const filters = q.filters.filter((f) => col.fields.has(f.field));
  for (const f of filters) {
    if (TIME_FIELDS.has(f.field) && RANGE_OPS.has(f.op) && Number.isNaN(Date.parse(f.values[0]))) {
      return { error: `Invalid date '${f.values[0]}' for ${f.field}[${f.op}]` };
    }
  }
  return filters;
}

/** Views for the two orders the data is generated in: creation (the default) and last update. */
function fastPath(col: HumaansCollection, q: FeathersQuery, filters: Filter[]): ListResult | undefined {
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

function scan(col: HumaansCollection, q: FeathersQuery, filters: Filter[]): ListResult {
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

export function matches(value: unknown, f: Filter): boolean {
  switch (f.op) {
    case '$eq':
      return equals(value, f.values[0]);
    case '$ne':
      return !equals(value, f.values[0]);
    case '$in':
      return f.values.some((v) => equals(value, v));
    case '$nin':
      return !f.values.some((v) => equals(value, v));
    default: {
      const c = compareToParam(value, f.values[0]);
      if (c === undefined) return false;
      if (f.op === '$gt') return c > 0;
      if (f.op === '$gte') return c >= 0;
      if (f.op === '$lt') return c < 0;
      return c <= 0;
    }
  }
}

/** Query values are text; compare them the way the field's own type would. */
function equals(value: unknown, param: string): boolean {
  if (value === null || value === undefined) return param === 'null';
  if (typeof value === 'number') return param.trim() !== '' && Number(param) === value;
  if (typeof value === 'boolean') return String(value) === param;
  return typeof value === 'string' && value === param;
}

function compareToParam(value: unknown, param: string): number | undefined {
  if (typeof value === 'number') {
    const n = Number(param);
    return param.trim() === '' || Number.isNaN(n) ? undefined : value - n;
  }
  if (typeof value !== 'string') return undefined;
  if (ISO_DATETIME.test(value)) {
    // Timestamps compare as instants, so `2024-03-01T10:00:00+02:00` and `...08:00:00Z` are equal.
    const a = Date.parse(value);
    const b = Date.parse(param);
    if (!Number.isNaN(a) && !Number.isNaN(b)) return a - b;
  }
  return value < param ? -1 : value > param ? 1 : 0;
}

/** Sort order: missing and null first, then booleans, numbers and strings. */
export function order(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const sa = typeof a === 'string' ? a : JSON.stringify(a);
  const sb = typeof b === 'string' ? b : JSON.stringify(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function rank(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'boolean') return 1;
  if (typeof v === 'number') return 2;
  if (typeof v === 'string') return 3;
  return 4;
}
