/**
 * The record filter component (`record_filter: { condition }`): keeps the records for which a condition
 * holds, checked on the record as the API sent it (before transforms). A condition is data, not code: a
 * comparison of one field (`eq`, `ne`, `gt`, `gte`, `lt`, `lte`, `in`, `exists`) with a value (a literal or
 * a `{{ config.x }}` / `{{ now }}` template, resolved once), or `all` / `any` of conditions.
 *
 * Comparisons: when both sides are numbers (or the record's is a number and the value a numeric string) they
 * compare as numbers; when both are ISO-8601 date-times, as instants (so `2024-01-01T00:00:00Z` equals
 * `2024-01-01T01:00:00+01:00`); otherwise as text. A missing field (or null) matches only `ne`,
 * `exists: false`, and nothing else.
 */
import type { ConditionDef, RecordFilterDef } from './manifest-schema.js';
import { resolve, type TemplateContext } from './template.js';

export type RecordPredicate = (record: Record<string, unknown>) => boolean;

type Scalar = string | number | boolean;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

function fieldValue(record: Record<string, unknown>, field: string | string[]): unknown {
  const path = typeof field === 'string' ? [field] : field;
  let v: unknown = record;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}

/** -1, 0 or 1, or undefined when the two cannot be ordered (a missing or non-scalar record value). */
function compare(a: unknown, b: Scalar): number | undefined {
  if (a === null || a === undefined || typeof a === 'object') return undefined;
  if (typeof a === 'number' && (typeof b === 'number' || (typeof b === 'string' && b.trim() !== ''))) {
    const nb = Number(b);
    if (Number.isFinite(nb)) return Math.sign(a - nb);
  }
  if (typeof a === 'string' && typeof b === 'string' && ISO_DATE.test(a) && ISO_DATE.test(b)) {
    const ma = Date.parse(a);
    const mb = Date.parse(b);
    if (!Number.isNaN(ma) && !Number.isNaN(mb)) return Math.sign(ma - mb);
  }
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function compile(c: ConditionDef, ctx: TemplateContext): RecordPredicate {
  if ('all' in c) {
    const parts = c.all.map((p) => compile(p, ctx));
    return (r) => parts.every((p) => p(r));
  }
  if ('any' in c) {
    const parts = c.any.map((p) => compile(p, ctx));
    return (r) => parts.some((p) => p(r));
  }
  const { field } = c;
  const value = (v: Scalar): Scalar => resolve(v, ctx) ?? '';
  switch (c.op) {
    case 'exists': {
      const want = c.value ?? true;
      return (r) => {
        const v = fieldValue(r, field);
        return (v !== undefined && v !== null) === want;
      };
    }
    case 'in': {
      const values = c.value.map(value);
      return (r) => values.some((v) => compare(fieldValue(r, field), v) === 0);
    }
    default: {
      const v = value(c.value);
      const op = c.op;
      return (r) => {
        const x = compare(fieldValue(r, field), v);
        if (x === undefined) return op === 'ne';
        switch (op) {
          case 'eq':
            return x === 0;
          case 'ne':
            return x !== 0;
          case 'gt':
            return x > 0;
          case 'gte':
            return x >= 0;
          case 'lt':
            return x < 0;
          case 'lte':
            return x <= 0;
        }
      };
    }
  }
}

/** The filter's predicate, with every template resolved now (once per source). */
export function compileRecordFilter(def: RecordFilterDef, ctx: TemplateContext): RecordPredicate {
  return compile(def.condition, ctx);
}
