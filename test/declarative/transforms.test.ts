import { afterEach, describe, expect, it } from 'vitest';
import type { TransformDef } from '../../src/declarative/manifest-schema.js';
import { registerComponent } from '../../src/declarative/registry.js';
import type { TemplateContext } from '../../src/declarative/template.js';
import {
  compileTransforms,
  type Rec,
  resolveCollisions,
  toSnakeCase,
  toUtcIso,
} from '../../src/declarative/transforms.js';
import { renamedFieldsOf } from '../../src/engine/renamed-fields.js';
import { ExactNumber } from '../../src/util/exact-number.js';
import { ConfigError } from '../../src/errors.js';

const ctx: TemplateContext = { config: { company: 'acme', region_id: 7 }, now: '2024-05-01T12:00:00.000Z' };
const run = (defs: TransformDef[], rec: Rec, dateTimeFields: string[] = []) =>
  compileTransforms(defs, ctx, dateTimeFields)(rec);

describe('toSnakeCase', () => {
  it.each([
    ['postalCode', 'postal_code'],
    ['HTTPStatus', 'http_status'],
    ['userID', 'user_id'],
    ['PersonId', 'person_id'],
    ['already_snake', 'already_snake'],
    ['kebab-case-name', 'kebab_case_name'],
    ['with space', 'with_space'],
    ['address2Line', 'address2_line'],
    ['getHTTPResponseCode', 'get_http_response_code'],
    ['id', 'id'],
  ])('%s → %s', (input, expected) => {
    expect(toSnakeCase(input)).toBe(expected);
  });
});

describe('toUtcIso', () => {
  const savedTz = process.env.TZ;
  afterEach(() => {
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  it.each([
    ['2024-03-01T10:00:00+02:00', '2024-03-01T08:00:00.000Z'],
    ['2024-03-01T10:00:00-05:30', '2024-03-01T15:30:00.000Z'],
    ['2024-03-01T10:00:00+0200', '2024-03-01T08:00:00.000Z'],
    ['2024-03-01T10:00:00.250+01:00', '2024-03-01T09:00:00.250Z'],
    ['2024-03-01T00:30:00+02:00', '2024-02-29T22:30:00.000Z'],
    ['2024-03-01T10:00:00Z', '2024-03-01T10:00:00.000Z'],
    ['2024-03-01T10:00:00.5Z', '2024-03-01T10:00:00.500Z'],
    ['2024-03-01 10:00:00+00:00', '2024-03-01T10:00:00.000Z'],
    ['2024-03-01T10:00:00.000Z', '2024-03-01T10:00:00.000Z'],
  ])('%s → %s', (input, expected) => {
    expect(toUtcIso(input)).toBe(expected);
  });

  it('reads a timestamp without an offset as UTC, whatever the machine time zone', () => {
    for (const tz of ['UTC', 'America/New_York', 'Asia/Kolkata']) {
      process.env.TZ = tz;
      expect(toUtcIso('2024-03-01T10:00:00'), tz).toBe('2024-03-01T10:00:00.000Z');
      expect(toUtcIso('2024-03-01 10:00:00.123'), tz).toBe('2024-03-01T10:00:00.123Z');
    }
  });

  it('leaves values that are not timestamps alone', () => {
    for (const v of ['2024-03-01', 'hello world', 'not-a-date-at-all', '2024-13-45T99:99:00', '', 'short']) {
      expect(toUtcIso(v)).toBe(v);
    }
    expect(toUtcIso(1714564800000)).toBe(1714564800000);
    expect(toUtcIso(null)).toBeNull();
    expect(toUtcIso(undefined)).toBeUndefined();
  });
});

describe('compileTransforms', () => {
  it('is the identity for an empty list', () => {
    const rec = { a: 1, b: { c: 2 } };
    expect(run([], rec)).toEqual({ a: 1, b: { c: 2 } });
  });

  it('flattens nested objects at any depth, keeping arrays and nulls as values', () => {
    const out = run([{ type: 'flatten', separator: '_' }], {
      id: 1,
      address: { city: 'Berlin', geo: { lat: 52.5, lng: 13.4 } },
      tags: ['a', { b: 1 }],
      manager: null,
    });
    expect(out).toEqual({
      id: 1,
      address_city: 'Berlin',
      address_geo_lat: 52.5,
      address_geo_lng: 13.4,
      tags: ['a', { b: 1 }],
      manager: null,
    });
  });

  it('flattens with a custom separator', () => {
    expect(run([{ type: 'flatten', separator: '.' }], { a: { b: { c: 1 } } })).toEqual({ 'a.b.c': 1 });
  });

  it('snake_cases keys', () => {
    expect(run([{ type: 'snake_case' }], { firstName: 'A', companyID: 'x', updated_at: 't' })).toEqual({
      first_name: 'A',
      company_id: 'x',
      updated_at: 't',
    });
  });

  it('flatten then snake_case gives snake_cased column names', () => {
    const out = run([{ type: 'flatten', separator: '_' }, { type: 'snake_case' }], {
      homeAddress: { postalCode: '10115' },
    });
    expect(out).toEqual({ home_address_postal_code: '10115' });
  });

  it('serialises arrays as JSON text and leaves other values', () => {
    const out = run([{ type: 'json_arrays' }], {
      tags: ['x', 'y'],
      empty: [],
      nested: [[1], { a: 2 }],
      n: 3,
      s: 's',
      o: { k: 1 },
    });
    expect(out).toEqual({
      tags: '["x","y"]',
      empty: '[]',
      nested: '[[1],{"a":2}]',
      n: 3,
      s: 's',
      o: { k: 1 },
    });
  });

  it('normalises the listed timestamp fields to UTC and leaves others', () => {
    const out = run([{ type: 'utc_timestamps', fields: ['created', 'updated'] }], {
      created: '2024-03-01T10:00:00+02:00',
      updated: null,
      other: '2024-03-01T10:00:00+02:00',
    });
    expect(out).toEqual({
      created: '2024-03-01T08:00:00.000Z',
      updated: null,
      other: '2024-03-01T10:00:00+02:00',
    });
  });

  it('normalises the schema date-time fields when the transform lists none', () => {
    const out = run(
      [{ type: 'utc_timestamps' }],
      { updated_at: '2024-03-01T10:00:00-01:00', name: '2024-03-01T10:00:00-01:00' },
      ['updated_at'],
    );
    expect(out).toEqual({ updated_at: '2024-03-01T11:00:00.000Z', name: '2024-03-01T10:00:00-01:00' });
  });

  it('does not add a timestamp field that is absent', () => {
    expect(run([{ type: 'utc_timestamps', fields: ['created'] }], { id: 1 })).toEqual({ id: 1 });
  });

  it('renames fields', () => {
    expect(
      run([{ type: 'rename', fields: { _id: 'id', nm: 'name' } }], { _id: 'x1', nm: 'N', keep: 1 }),
    ).toEqual({ id: 'x1', name: 'N', keep: 1 });
    expect(run([{ type: 'rename', fields: { absent: 'x' } }], { a: 1 })).toEqual({ a: 1 });
  });

  it('adds fields with literals and templates resolved once', () => {
    const f = compileTransforms(
      [
        {
          type: 'add_fields',
          fields: {
            company: '{{ config.company }}',
            region: '{{ config.region_id }}',
            synced: '{{ now }}',
            v: 2,
          },
        },
      ],
      ctx,
      [],
    );
    expect(f({ id: 1 })).toEqual({ id: 1, company: 'acme', region: 7, synced: ctx.now, v: 2 });
    expect(f({ id: 2 })).toEqual({ id: 2, company: 'acme', region: 7, synced: ctx.now, v: 2 });
  });

  it('runs a registered custom component', () => {
    registerComponent<TemplateContext>('transform', 'unit.upper_name', (c) => (r: Rec) => ({
      ...r,
      name: String(r.name).toUpperCase(),
      co: c.config.company,
    }));
    expect(run([{ type: 'custom', component: 'unit.upper_name' }], { name: 'ada' })).toEqual({
      name: 'ADA',
      co: 'acme',
    });
  });

  it('rejects an unregistered custom component', () => {
    expect(() => compileTransforms([{ type: 'custom', component: 'unit.nope' }], ctx, [])).toThrow(
      ConfigError,
    );
    expect(() => compileTransforms([{ type: 'custom', component: 'unit.nope' }], ctx, [])).toThrow(
      /"unit.nope" is not registered/,
    );
  });

  it('never mutates the input record, however the transforms combine', () => {
    const defs: TransformDef[] = [
      { type: 'json_arrays' },
      { type: 'utc_timestamps', fields: ['at'] },
      { type: 'rename', fields: { a: 'b' } },
      { type: 'add_fields', fields: { x: 1 } },
      { type: 'flatten', separator: '_' },
      { type: 'snake_case' },
    ];
    const input = {
      a: 1,
      at: '2024-03-01T10:00:00+02:00',
      list: [1, 2],
      nested: { deepList: [3], camelCase: 'v' },
    };
    const before = structuredClone(input);
    const out = run(defs, input);
    expect(input).toEqual(before);
    expect(out).toEqual({
      b: 1,
      at: '2024-03-01T08:00:00.000Z',
      list: '[1,2]',
      nested_deep_list: [3],
      nested_camel_case: 'v',
      x: 1,
    });
  });

  it('a full Humaans-like chain', () => {
    const defs: TransformDef[] = [
      { type: 'flatten', separator: '_' },
      { type: 'snake_case' },
      { type: 'json_arrays' },
      { type: 'utc_timestamps' },
    ];
    const out = run(
      defs,
      {
        id: 'p1',
        firstName: 'Ada',
        updatedAt: '2024-03-01T10:00:00+02:00',
        address: { postalCode: '1' },
        tags: ['a'],
      },
      ['updated_at'],
    );
    expect(out).toEqual({
      id: 'p1',
      first_name: 'Ada',
      updated_at: '2024-03-01T08:00:00.000Z',
      address_postal_code: '1',
      tags: '["a"]',
    });
  });
});

describe('fused head (flatten, snake_case, json_arrays) over many record shapes', () => {
  const HEAD: TransformDef[] = [
    { type: 'flatten', separator: '_' },
    { type: 'snake_case' },
    { type: 'json_arrays' },
  ];

  /**
   * The three steps as a plain walk over the leaves, in order, with colliding names disambiguated by
   * resolveCollisions: what the fused head (per-shape compiled literals) must equal.
   */
  function reference(rec: Rec): Rec {
    const names: string[] = [];
    const paths: string[] = [];
    const literal: boolean[] = [];
    const values: unknown[] = [];
    const walk = (src: Rec, prefix: string, dotted: string) => {
      for (const key in src) {
        const v = src[key];
        const name = prefix ? `${prefix}_${key}` : key;
        const path = dotted ? `${dotted}.${key}` : key;
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) walk(v as Rec, name, path);
        else {
          names.push(toSnakeCase(name));
          paths.push(path);
          literal.push(dotted === '' && toSnakeCase(name) === key);
          values.push(Array.isArray(v) ? JSON.stringify(v) : v);
        }
      }
    };
    walk(rec, '', '');
    const resolved = resolveCollisions(names, paths, literal)?.names ?? names;
    const out: Rec = {};
    resolved.forEach((n, i) => {
      out[n] = values[i];
    });
    return out;
  }

  /** Documents as the Humaans simulator varies them: optional keys absent, null or set; a nested file or null. */
  function document(i: number): Rec {
    const r: Rec = { id: `d${i}`, companyId: 'c1', personId: `p${i % 7}` };
    if (i % 3 !== 0) r.description = i % 3 === 1 ? null : `text ${i}`;
    r.fileId = i % 5 === 0 ? null : `f${i}`;
    r.file = i % 5 === 0 ? null : { id: `f${i}`, url: `https://x/${i}`, meta: { sizeBytes: i } };
    if (i % 4 !== 0) r.tags = i % 8 === 1 ? [] : ['a', { b: i }];
    r.updatedAt = `2024-01-01T00:00:${String(i % 60).padStart(2, '0')}.000Z`;
    return r;
  }

  it('gives the same fields, values and field order as the steps one by one', () => {
    const f = compileTransforms(HEAD, ctx, []);
    for (let i = 0; i < 500; i++) {
      const rec = document(i);
      const out = f(rec);
      const want = reference(rec);
      expect(Object.keys(out), `record ${i}`).toEqual(Object.keys(want));
      expect(out, `record ${i}`).toEqual(want);
    }
  });

  it('builds a new object per record, never sharing one between records', () => {
    const f = compileTransforms(HEAD, ctx, []);
    const a = f(document(1));
    const b = f(document(2));
    expect(a).not.toBe(b);
    expect(a.id).toBe('d1');
    b.id = 'changed';
    expect(f(document(1))).toEqual(a);
  });

  it('a field named twice (fileId and file.id) keeps both: file.id sorts first and keeps the name', () => {
    const out = run(HEAD, { fileId: 'top', name: 'n', file: { id: 'nested' } });
    expect(Object.keys(out)).toEqual(['file_id__2', 'name', 'file_id']);
    expect(out.file_id).toBe('nested');
    expect(out.file_id__2).toBe('top');
  });

  it('tells apart shapes that flatten to the same leaves in different objects', () => {
    const f = compileTransforms(HEAD, ctx, []);
    expect(f({ a: { b: 1 }, c: 2 })).toEqual({ a_b: 1, c: 2 });
    expect(f({ a: { b: 1, c: 2 } })).toEqual({ a_b: 1, a_c: 2 });
    expect(f({ a: {}, c: 2 })).toEqual({ c: 2 });
    expect(f({ a: null, c: 2 })).toEqual({ a: null, c: 2 });
  });

  it('keeps a "__proto__" field as an own field and never changes the prototype', () => {
    const f = compileTransforms(HEAD, ctx, []);
    for (const value of [1, null, 'x']) {
      const out = f(JSON.parse(`{"id": 1, "__proto__": ${JSON.stringify(value)}}`));
      expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
      expect(Object.keys(out)).toEqual(['id', '__proto__']);
      expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toBe(value);
    }
  });

  it('stays exact past its bounds on distinct shapes (the generic path takes over)', () => {
    const f = compileTransforms(HEAD, ctx, []);
    for (let i = 0; i < 2_500; i++) {
      const rec: Rec = { id: i, [`onlyHere${i}`]: { deepKey: i }, list: [i] };
      expect(f(rec), `record ${i}`).toEqual(reference(rec));
    }
    // The shapes compiled before the bounds were reached still work, and so does the generic path for "__proto__".
    expect(f(document(3))).toEqual(reference(document(3)));
    const out = f(JSON.parse('{"brandNew": 1, "__proto__": 2}'));
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['brand_new', '__proto__']);
  });

  it('without flatten keeps nested objects as values', () => {
    const f = compileTransforms([{ type: 'snake_case' }, { type: 'json_arrays' }], ctx, []);
    const nested = { innerKey: 1 };
    const out = f({ someObj: nested, someList: [1], plain: 'x' });
    expect(out).toEqual({ some_obj: { innerKey: 1 }, some_list: '[1]', plain: 'x' });
    expect(out.some_obj).toBe(nested);
  });
});

describe('flattening collisions: both fields survive under deterministic names', () => {
  const FUSED: TransformDef[] = [
    { type: 'flatten', separator: '_' },
    { type: 'snake_case' },
    { type: 'json_arrays' },
  ];
  // snake_case before flatten cannot be fused: the step-by-step path.
  const STEPS: TransformDef[] = [{ type: 'snake_case' }, { type: 'flatten', separator: '_' }];

  it.each([
    ['fused', FUSED],
    ['step by step', STEPS],
  ] as const)('fooBar and foo_bar: the literal key keeps the name, in any field order (%s)', (_, defs) => {
    const f = compileTransforms([...defs], ctx, []);
    const a = f({ id: 1, fooBar: 'camel', foo_bar: 'snake' });
    const b = f({ foo_bar: 'snake', id: 1, fooBar: 'camel' });
    for (const out of [a, b]) {
      expect(out).toEqual({ id: 1, foo_bar: 'snake', foo_bar__2: 'camel' });
      expect(renamedFieldsOf(out)).toEqual({ foo_bar__2: 'fooBar' });
      // The marker is not a field: it is neither enumerated nor serialised.
      expect(Object.keys(out).sort()).toEqual(['foo_bar', 'foo_bar__2', 'id']);
    }
  });

  it.each([
    ['fused', FUSED],
    ['flatten alone', [{ type: 'flatten', separator: '_' }] as TransformDef[]],
    ['step by step', STEPS],
  ] as const)('a: {b} and a_b: a_b keeps the name, a.b goes to a_b__2 (%s)', (_, defs) => {
    const f = compileTransforms([...defs], ctx, []);
    const out = f({ a: { b: 'nested' }, a_b: 'flat' });
    expect(out).toEqual({ a_b: 'flat', a_b__2: 'nested' });
    expect(renamedFieldsOf(out)).toEqual({ a_b__2: 'a.b' });
  });

  it('skips a suffix another field already uses, and orders non-literal paths by their sorted source path', () => {
    const out = run(FUSED, { FooBar: 1, fooBar: 2, foo: { bar: 3 }, foo_bar__2: 'taken' });
    // No literal foo_bar: "Foo…" < "foo.bar" < "fooBar" in code-unit order.
    expect(out).toEqual({ foo_bar: 1, foo_bar__3: 3, foo_bar__4: 2, foo_bar__2: 'taken' });
    expect(renamedFieldsOf(out)).toEqual({ foo_bar__3: 'foo.bar', foo_bar__4: 'fooBar' });
  });

  it('records without a collision carry no marker', () => {
    expect(renamedFieldsOf(run(FUSED, { fooBar: 1, b: { c: 2 } }))).toBeUndefined();
  });

  it('tells onRename once per column and source path, however many records collide', () => {
    const told: string[][] = [];
    const f = compileTransforms(FUSED, ctx, [], (column, path, winner) => told.push([column, path, winner]));
    for (let i = 0; i < 5; i++) f({ fooBar: i, foo_bar: i });
    for (let i = 0; i < 5; i++) f({ x: i, fooBar: i, foo_bar: i });
    expect(told).toEqual([['foo_bar__2', 'fooBar', 'foo_bar']]);
  });

  it('resolveCollisions leaves names without repeats alone', () => {
    expect(resolveCollisions(['a', 'b'], ['a', 'b'], [true, true])).toBeUndefined();
  });
});

describe('exact numbers inside arrays and objects', () => {
  it('json_arrays writes an exact number as its number token, not a rounded double or a string', () => {
    const out = run([{ type: 'flatten', separator: '_' }, { type: 'json_arrays' }], {
      ids: [new ExactNumber('9007199254740993'), 1],
      big: { v: new ExactNumber('1e400') },
    });
    expect(out.ids).toBe('[9007199254740993,1]');
    expect(out.big_v).toBeInstanceOf(ExactNumber);
    expect(run([{ type: 'json_arrays' }], { ids: [new ExactNumber('-12345678901234567890')] }).ids).toBe(
      '[-12345678901234567890]',
    );
  });
});
