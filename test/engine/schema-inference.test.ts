import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { columnTypeOf } from '../../src/declarative/stream-schema.js';
import { type ColumnType, widenType } from '../../src/destinations/destination.js';
import { ColumnTracker } from '../../src/engine/column-tracker.js';
import { SchemaInference } from '../../src/engine/schema-inference.js';
import { ExactNumber } from '../../src/util/exact-number.js';
import { isIsoDate, isIsoDateTime } from '../../src/util/iso-date.js';

function infer(records: Record<string, unknown>[]): SchemaInference {
  const inf = new SchemaInference();
  for (const r of records) inf.observe(r);
  return inf;
}
const propsOf = (records: Record<string, unknown>[]) =>
  (infer(records).toJsonSchema() as { properties: Record<string, Record<string, unknown>> }).properties;

describe('SchemaInference', () => {
  it('types scalars, ISO dates and date-times, nested objects and arrays', () => {
    expect(
      propsOf([
        {
          id: 7,
          price: 1.5,
          paid: true,
          note: 'x',
          day: '2024-01-31',
          at: '2024-01-31T12:00:00Z',
          customer: { id: 3, email: 'a@b.c', since: '2020-05-01T00:00:00+02:00' },
          tags: ['a', 'b'],
          lines: [{ sku: 'k', qty: 2 }],
          big: new ExactNumber('9007199254740993'),
          huge: new ExactNumber('1e400'),
        },
      ]),
    ).toEqual({
      id: { type: 'integer' },
      price: { type: 'number' },
      paid: { type: 'boolean' },
      note: { type: 'string' },
      day: { type: 'string', format: 'date' },
      at: { type: 'string', format: 'date-time' },
      customer: {
        type: 'object',
        properties: {
          id: { type: 'integer' },
          email: { type: 'string' },
          since: { type: 'string', format: 'date-time' },
        },
      },
      tags: { type: 'array', items: { type: 'string' } },
      lines: {
        type: 'array',
        items: { type: 'object', properties: { sku: { type: 'string' }, qty: { type: 'integer' } } },
      },
      big: { type: 'integer' },
      huge: { type: 'number' },
    });
  });

  it('widens across records: integer to number, date to date-time, a conflict to string; nulls make nullable', () => {
    expect(
      propsOf([
        { n: 1, d: '2024-01-01', c: 5, o: { a: 1 }, z: null, e: [] },
        { n: 2.5, d: '2024-01-01T10:00:00Z', c: 'five', o: null, z: null, e: [1] },
        { o: { b: 'x' } },
      ]),
    ).toEqual({
      n: { type: 'number' },
      d: { type: 'string', format: 'date-time' },
      c: { type: 'string' },
      o: { type: ['object', 'null'], properties: { a: { type: 'integer' }, b: { type: 'string' } } },
      z: { type: 'null' },
      e: { type: 'array', items: { type: 'integer' } },
    });
  });

  it('a date-time without a zone, or text beside dates, is plain string', () => {
    expect(propsOf([{ t: '2024-01-01T10:00:00' }, { d: '2024-01-01' }, { d: 'soon' }])).toEqual({
      t: { type: 'string' },
      d: { type: 'string' },
    });
  });

  it('writes a reviewable object schema with the primary key required', () => {
    const s = infer([{ id: 1 }]).toJsonSchema({ title: 'Shop orders', primaryKey: ['id'] });
    expect(s).toEqual({
      $schema: 'http://json-schema.org/draft-07/schema#',
      title: 'Shop orders',
      type: 'object',
      additionalProperties: true,
      required: ['id'],
      properties: { id: { type: 'integer' } },
    });
  });
});

// ---- properties -------------------------------------------------------------------------------------------

const scalar = fc.oneof(
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 6 }),
  fc
    .date({ min: new Date('1990-01-01'), max: new Date('2090-01-01'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc
    .date({ min: new Date('1990-01-01'), max: new Date('2090-01-01'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10)),
);
const FIELDS = ['id', 'amount', 'at', 'status', 'meta'] as const;
const value = fc.oneof(
  { weight: 5, arbitrary: scalar },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('x', 'y'), scalar, { maxKeys: 2 }) },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
);
const record = fc.dictionary(fc.constantFrom(...FIELDS), value, { minKeys: 1 });
const flatRecord = fc.dictionary(fc.constantFrom(...FIELDS), scalar, { minKeys: 1 });
const records = fc.array(record, { minLength: 1, maxLength: 20 });

type Family = 'number' | 'boolean' | 'text' | 'date' | 'object' | 'array';
const FAMILIES: Family[] = ['number', 'boolean', 'text', 'date', 'object', 'array'];
const dateTime = fc
  .date({ min: new Date('1990-01-01'), max: new Date('2090-01-01'), noInvalidDate: true })
  .map((d) => d.toISOString());
function familyValue(f: Family): fc.Arbitrary<unknown> {
  const orNull = (a: fc.Arbitrary<unknown>) =>
    fc.oneof({ weight: 4, arbitrary: a }, { weight: 1, arbitrary: fc.constant(null) });
  switch (f) {
    case 'number':
      return orNull(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })));
    case 'boolean':
      return orNull(fc.boolean());
    case 'text':
      return orNull(fc.oneof(fc.string({ maxLength: 6 }), dateTime));
    case 'date':
      return orNull(
        fc.oneof(
          dateTime,
          dateTime.map((s) => s.slice(0, 10)),
        ),
      );
    case 'object':
      return orNull(fc.record({ x: familyValue('number'), y: familyValue('date') }, { requiredKeys: [] }));
    case 'array':
      return orNull(fc.array(familyValue('text'), { maxLength: 3 }));
  }
}

const ajv = new Ajv({ strict: false });
ajv.addFormat('date', isIsoDate);
// Widening date with date-time gives date-time: a date counts as one (its midnight), as the widening says.
ajv.addFormat('date-time', (s: string) => isIsoDateTime(s) || isIsoDate(s));

/** JSON with object keys sorted, so two schemas compare by content, not by the order fields first came. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  return v;
}

describe('SchemaInference properties', () => {
  it('every record read validates against the inferred schema, also after more records widened it', () => {
    // Conflicts (a field both number and text) infer plain string by design, so each field keeps to one
    // family of values here; within it integers and doubles, dates and date-times, nulls and nesting mix.
    fc.assert(
      fc.property(
        fc.record(Object.fromEntries(FIELDS.map((f) => [f, fc.constantFrom(...FAMILIES)]))).chain((fam) => {
          const rec = fc.record(Object.fromEntries(FIELDS.map((f) => [f, familyValue(fam[f] as Family)])), {
            requiredKeys: [],
          });
          return fc.tuple(fc.array(rec, { minLength: 1, maxLength: 10 }), fc.array(rec, { maxLength: 10 }));
        }),
        ([a, b]) => {
          const validate = ajv.compile(infer([...a, ...b]).toJsonSchema());
          for (const r of [...a, ...b]) expect(validate(r), JSON.stringify(validate.errors)).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a conflict between families infers plain string and never fails', () => {
    fc.assert(
      fc.property(records, (rs) => {
        const props = propsOf(rs);
        for (const [name, prop] of Object.entries(props)) {
          const kinds = new Set(
            rs
              .map((r) => r[name])
              .filter((v) => v !== null && v !== undefined)
              .map((v) => (Array.isArray(v) ? 'array' : typeof v)),
          );
          if (kinds.size > 1) expect([prop.type].flat()[0], name).toBe('string');
        }
      }),
      { numRuns: 200 },
    );
  });

  it('page by page and in any order, the merge gives the same schema as one pass', () => {
    fc.assert(
      fc.property(records, fc.nat(), (rs, cut) => {
        const at = cut % (rs.length + 1);
        const whole = infer(rs).toJsonSchema();
        const first = infer(rs.slice(0, at));
        first.merge(infer(rs.slice(at)));
        expect(first.toJsonSchema()).toEqual(whole);
        const later = infer(rs.slice(at));
        later.merge(infer(rs.slice(0, at)));
        expect(canonical(later.toJsonSchema())).toEqual(canonical(whole));
        expect(canonical(infer([...rs].reverse()).toJsonSchema())).toEqual(canonical(whole));
      }),
      { numRuns: 200 },
    );
  });

  it('the column tracker infers the columns the written schema declares (never narrower)', () => {
    fc.assert(
      fc.property(fc.array(flatRecord, { minLength: 1, maxLength: 20 }), (rs) => {
        const props = propsOf(rs);
        const tracker = new ColumnTracker('s', ['id'], {}, { infer: true });
        for (const r of rs) tracker.toRow({ ...r });
        const tracked = new Map(tracker.spec().columns.map((c) => [c.name, c.type]));
        for (const [name, prop] of Object.entries(props)) {
          if (prop.type === 'null') {
            // Only ever null: no column yet (the primary key gets text, as an undeclared key always did).
            if (name !== 'id') expect(tracked.has(name)).toBe(false);
            continue;
          }
          const declared = columnTypeOf(prop as { type: string | string[]; format?: string });
          const inferred = tracked.get(name) as ColumnType;
          expect(widenType(inferred, declared), `${name}: ${inferred} vs ${declared}`).toBe(inferred);
          // Equal unless a date-only value came first: its column is text, and text never narrows.
          const sawDate = rs.some((r) => typeof r[name] === 'string' && isIsoDate(r[name] as string));
          if (!sawDate) expect(inferred, name).toBe(declared);
        }
      }),
      { numRuns: 300 },
    );
  });
});
