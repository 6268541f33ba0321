/**
 * Inferring a stream's JSON Schema from the records it reads, for streams whose manifest names no schema
 * file (`tributary discover --write-schemas` writes the result for review). The rules match the column
 * tracker's, so a written schema declares the column types a schema-less sync infers:
 *
 * - a JS safe integer (or an exact integer within int64) is `integer`, any other number `number`;
 * - a string is `format: date-time` when every value seen is an RFC 3339 date-time with a zone, `format:
 *   date` when every one is a calendar date (`YYYY-MM-DD`), plain `string` otherwise;
 * - objects and arrays keep their nested shape (`properties`, `items`);
 * - a field that was ever null is nullable (`["integer", "null"]`); one only ever null is `{"type": "null"}`.
 *
 * Merging only widens: integer with number is number, date with date-time is date-time, and any other
 * conflict (integer with string, object with array, ...) is plain string, never an error. The merge is
 * commutative and associative, so pages can be inferred one by one and merged, in any order, with the same
 * types (property order follows first appearance, which is deterministic for the same records).
 */
import { ExactNumber } from '../util/exact-number.js';
import { isIsoDate, isIsoDateTime } from '../util/iso-date.js';

export type ShapeKind = 'boolean' | 'integer' | 'number' | 'string' | 'object' | 'array';
export type StringFormat = 'date' | 'date-time' | 'none';

/** What the values of one field looked like so far. */
export interface Shape {
  nullable: boolean;
  /** Undefined while only nulls were seen. */
  kind?: ShapeKind;
  /** For strings. */
  format?: StringFormat;
  /** For objects. */
  properties?: Map<string, Shape>;
  /** For arrays; undefined while only empty arrays were seen. */
  items?: Shape;
}

/** The shape of one JSON value. */
export function shapeOf(value: unknown): Shape {
  if (value === null || value === undefined) return { nullable: true };
  switch (typeof value) {
    case 'boolean':
      return { nullable: false, kind: 'boolean' };
    case 'number':
      return { nullable: false, kind: Number.isSafeInteger(value) ? 'integer' : 'number' };
    case 'string':
      return {
        nullable: false,
        kind: 'string',
        format: isIsoDateTime(value) ? 'date-time' : isIsoDate(value) ? 'date' : 'none',
      };
    case 'object': {
      if (value instanceof ExactNumber)
        return { nullable: false, kind: value.isInt64 ? 'integer' : 'number' };
      if (Array.isArray(value)) {
        let items: Shape | undefined;
        for (const v of value) items = items === undefined ? shapeOf(v) : mergeShapes(items, shapeOf(v));
        return items === undefined
          ? { nullable: false, kind: 'array' }
          : { nullable: false, kind: 'array', items };
      }
      const properties = new Map<string, Shape>();
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v !== undefined) properties.set(k, shapeOf(v));
      }
      return { nullable: false, kind: 'object', properties };
    }
    default:
      return { nullable: false, kind: 'string', format: 'none' };
  }
}

function mergeFormats(a: StringFormat, b: StringFormat): StringFormat {
  if (a === b) return a;
  if (a === 'none' || b === 'none') return 'none';
  return 'date-time'; // date with date-time
}

/** The narrowest shape that holds the values of both (never narrower than either). */
export function mergeShapes(a: Shape, b: Shape): Shape {
  const nullable = a.nullable || b.nullable;
  if (a.kind === undefined) return { ...b, nullable };
  if (b.kind === undefined) return { ...a, nullable };
  if (a.kind === b.kind) {
    switch (a.kind) {
      case 'string':
        return { nullable, kind: 'string', format: mergeFormats(a.format ?? 'none', b.format ?? 'none') };
      case 'object': {
        const properties = new Map(a.properties);
        for (const [k, s] of b.properties ?? []) {
          const cur = properties.get(k);
          properties.set(k, cur === undefined ? s : mergeShapes(cur, s));
        }
        return { nullable, kind: 'object', properties };
      }
      case 'array': {
        const items =
          a.items === undefined ? b.items : b.items === undefined ? a.items : mergeShapes(a.items, b.items);
        return items === undefined ? { nullable, kind: 'array' } : { nullable, kind: 'array', items };
      }
      default:
        return { nullable, kind: a.kind };
    }
  }
  if ((a.kind === 'integer' && b.kind === 'number') || (a.kind === 'number' && b.kind === 'integer'))
    return { nullable, kind: 'number' };
  // Any other conflict: the values are kept as text (nested ones as JSON text).
  return { nullable, kind: 'string', format: 'none' };
}

function cloneShape(s: Shape): Shape {
  const out: Shape = { ...s };
  if (s.properties) out.properties = new Map([...s.properties].map(([k, p]) => [k, cloneShape(p)]));
  if (s.items) out.items = cloneShape(s.items);
  return out;
}

/**
 * `mergeShapes(s, shapeOf(value))`, updating `s` in place where it can: observing a record allocates
 * nothing when its shape was seen before (about one object per record otherwise, per nested value).
 */
function absorb(s: Shape, value: unknown): Shape {
  if (value === null || value === undefined) {
    s.nullable = true;
    return s;
  }
  if (s.kind === undefined) {
    const fresh = shapeOf(value);
    fresh.nullable = s.nullable;
    return fresh;
  }
  switch (typeof value) {
    case 'string':
      if (s.kind !== 'string') break;
      if (s.format !== 'none') {
        const f: StringFormat = isIsoDateTime(value) ? 'date-time' : isIsoDate(value) ? 'date' : 'none';
        s.format = mergeFormats(s.format ?? 'none', f);
      }
      return s;
    case 'boolean':
      if (s.kind !== 'boolean') break;
      return s;
    case 'number':
      if (s.kind === 'number') return s;
      if (s.kind !== 'integer') break;
      if (!Number.isSafeInteger(value)) s.kind = 'number';
      return s;
    case 'object': {
      if (value instanceof ExactNumber) {
        if (s.kind === 'number') return s;
        if (s.kind !== 'integer') break;
        if (!value.isInt64) s.kind = 'number';
        return s;
      }
      if (Array.isArray(value)) {
        if (s.kind !== 'array') break;
        for (const v of value) s.items = s.items === undefined ? shapeOf(v) : absorb(s.items, v);
        return s;
      }
      if (s.kind !== 'object') break;
      const props = s.properties!;
      for (const k in value as Record<string, unknown>) {
        const v = (value as Record<string, unknown>)[k];
        if (v === undefined) continue;
        const cur = props.get(k);
        if (cur === undefined) props.set(k, shapeOf(v));
        else {
          const next = absorb(cur, v);
          if (next !== cur) props.set(k, next);
        }
      }
      return s;
    }
    default:
  }
  return mergeShapes(s, shapeOf(value));
}

/** A shape as JSON Schema. */
export function shapeToJsonSchema(s: Shape): Record<string, unknown> {
  if (s.kind === undefined) return { type: 'null' };
  const out: Record<string, unknown> = { type: s.nullable ? [s.kind, 'null'] : s.kind };
  if (s.kind === 'string' && s.format !== undefined && s.format !== 'none') out.format = s.format;
  if (s.kind === 'object') {
    const properties: Record<string, unknown> = {};
    for (const [k, p] of s.properties ?? []) properties[k] = shapeToJsonSchema(p);
    out.properties = properties;
  }
  if (s.kind === 'array' && s.items !== undefined) out.items = shapeToJsonSchema(s.items);
  return out;
}

/** Accumulates the shape of a stream's records, page by page. */
export class SchemaInference {
  private shape: Shape = { nullable: false, kind: 'object', properties: new Map() };
  private count = 0;

  /** Records observed so far. */
  get records(): number {
    return this.count;
  }

  observe(record: Record<string, unknown>): void {
    this.shape = absorb(this.shape, record);
    this.count++;
  }

  /** Merge what another inference saw (another page, another run). */
  merge(other: SchemaInference): void {
    // A copy: this shape is updated in place afterwards and must not change the other's.
    this.shape = mergeShapes(this.shape, cloneShape(other.shape));
    this.count += other.count;
  }

  /** The record's top-level shape. */
  get recordShape(): Shape {
    return this.shape;
  }

  /**
   * The JSON Schema of the records seen: an object schema that allows more properties (a later record may
   * bring a field the sample did not have), with the primary key required.
   */
  toJsonSchema(opts: { title?: string; primaryKey?: string[] } = {}): Record<string, unknown> {
    const { properties } = shapeToJsonSchema(this.shape) as { properties: Record<string, unknown> };
    return {
      $schema: 'http://json-schema.org/draft-07/schema#',
      ...(opts.title === undefined ? {} : { title: opts.title }),
      type: 'object',
      additionalProperties: true,
      ...(opts.primaryKey?.length ? { required: opts.primaryKey } : {}),
      properties,
    };
  }
}
