/**
 * Feathers list query parameters (as @feathersjs/adapter-commons reads them):
 * `$limit`, `$skip`, `$sort[field]=1|-1`, `field=value` and `field[$op]=value` with $gt/$gte/$lt/$lte/$ne,
 * and `field[$in]` / `field[$nin]` given repeatedly, as `field[$in][]=` or as `field[$in][0]=`.
 */
import { type ParsedQuery, parseIntParam, splitBracketKey } from '../query.js';

export type FilterOp = '$eq' | '$ne' | '$gt' | '$gte' | '$lt' | '$lte' | '$in' | '$nin';

export interface Filter {
  field: string;
  op: FilterOp;
  /** One value, except for $in/$nin. */
  values: string[];
}

export interface SortKey {
  field: string;
  dir: 1 | -1;
}

export interface FeathersQuery {
  limit: number;
  skip: number;
  filters: Filter[];
  sort: SortKey[];
}

/** Feathers' `paginate` option: the page size when `$limit` is absent, and the most a page holds. */
export interface FeathersPaginate {
  default: number;
  max: number;
}

const OPS = new Set<string>(['$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin']);
/** Query keys Feathers accepts that do not filter; they are ignored here. */
const PASSIVE = new Set(['$select', '$populate', '$eager']);

/** Parse a list query, or return the message of Feathers' 400 BadRequest. */
export function parseFeathersQuery(
  query: ParsedQuery,
  paginate: FeathersPaginate,
): FeathersQuery | { error: string } {
  const limitParam = parseIntParam(query.last.$limit);
  const skipParam = parseIntParam(query.last.$skip);
  const out: FeathersQuery = {
    limit: Math.min(paginate.max, Math.max(0, limitParam ?? paginate.default)),
    skip: Math.max(0, skipParam ?? 0),
    filters: [],
    sort: [],
  };
  const multi = new Map<string, Filter>();
  for (const [key, value] of query.entries) {
    if (key === '$limit' || key === '$skip') continue;
    const parts = splitBracketKey(key);
    if (!parts) return { error: `Invalid query parameter ${key}` };
    const [head, op, tail] = parts;
    if (head === '$sort') {
      if (parts.length !== 2 || !op) return { error: `Invalid query parameter ${key}` };
      const dir = Number.parseInt(value, 10);
      if (dir !== 1 && dir !== -1) return { error: `Invalid sort direction '${value}' for ${op}` };
      const existing = out.sort.findIndex((s) => s.field === op);
      if (existing >= 0) out.sort.splice(existing, 1);
      out.sort.push({ field: op, dir });
      continue;
    }
    if (head.startsWith('$')) {
      if (PASSIVE.has(head)) continue;
      return { error: `Invalid query parameter ${head}` };
    }
    if (parts.length === 1) {
      out.filters.push({ field: head, op: '$eq', values: [value] });
      continue;
    }
    if (!OPS.has(op)) return { error: `Invalid query parameter ${op}` };
    if (op === '$in' || op === '$nin') {
      // Repeated, `[]` and `[0]` forms all add to one list.
      if (parts.length > 3 || (tail !== undefined && tail !== '' && !/^\d+$/.test(tail))) {
        return { error: `Invalid query parameter ${key}` };
      }
      const k = `${head}\u0000${op}`;
      let f = multi.get(k);
      if (!f) {
        f = { field: head, op, values: [] };
        multi.set(k, f);
        out.filters.push(f);
      }
      f.values.push(value);
      continue;
    }
    if (parts.length !== 2) return { error: `Invalid query parameter ${key}` };
    out.filters.push({ field: head, op: op as FilterOp, values: [value] });
  }
  return out;
}
