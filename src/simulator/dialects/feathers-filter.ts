/**
 * How a Feathers service reads filters and sorts: which filters count, how a query value (always text)
 * compares with a field of any JSON type, and the order `$sort` puts values in.
 */
import type { FeathersCollection } from './feathers-collection.js';
import type { FeathersQuery, Filter } from './feathers-query.js';

export const RANGE_OPS: ReadonlySet<string> = new Set(['$gt', '$gte', '$lt', '$lte']);
export const TIME_FIELDS: ReadonlySet<string> = new Set(['createdAt', 'updatedAt']);
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T/;

/** The filters on known fields, or the 400 of a range filter on a timestamp that is not a date. */
export function validFilters(col: FeathersCollection, q: FeathersQuery): Filter[] | { error: string } {
  const filters = q.filters.filter((f) => col.fields.has(f.field));
  for (const f of filters) {
    if (TIME_FIELDS.has(f.field) && RANGE_OPS.has(f.op) && Number.isNaN(Date.parse(f.values[0]))) {
      return { error: `Invalid date '${f.values[0]}' for ${f.field}[${f.op}]` };
    }
  }
  return filters;
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
