import { describe, expect, it } from 'vitest';
import type { ColumnType } from '../../src/destinations/destination.js';
import { ColumnTracker } from '../../src/engine/column-tracker.js';
import { RENAMED_FIELDS } from '../../src/engine/renamed-fields.js';
import { ExactNumber } from '../../src/util/exact-number.js';

const typesOf = (t: ColumnTracker) => Object.fromEntries(t.spec().columns.map((c) => [c.name, c.type]));

describe('ColumnTracker', () => {
  it('starts from the declared columns and gives an undeclared primary key varchar', () => {
    const t = new ColumnTracker('people', ['id'], { name: 'varchar', age: 'bigint' });
    expect(t.spec()).toEqual({
      stream: 'people',
      primaryKey: ['id'],
      columns: [
        { name: 'id', type: 'varchar' },
        { name: 'name', type: 'varchar' },
        { name: 'age', type: 'bigint' },
      ],
    });
  });

  it('keeps a declared primary key type', () => {
    const t = new ColumnTracker('x', ['id'], { id: 'bigint' });
    expect(typesOf(t)).toEqual({ id: 'bigint' });
  });

  it('infers types of new columns from the first value', () => {
    const t = new ColumnTracker('x', ['id'], {});
    t.toRow({ id: 'a', n: 5, f: 1.5, b: true, s: 'text', ts: '2024-01-01T00:00:00.000Z', big: 2 ** 60 });
    expect(typesOf(t)).toEqual({
      id: 'varchar',
      n: 'bigint',
      f: 'double',
      b: 'boolean',
      s: 'varchar',
      ts: 'varchar',
      big: 'double',
    });
  });

  it('converts objects and arrays to JSON text and drops undefined', () => {
    const t = new ColumnTracker('x', ['id'], {});
    const row = t.toRow({ id: 'a', obj: { k: [1, 2] }, list: ['x'], gone: undefined, nil: null });
    expect(row).toEqual({ id: 'a', obj: '{"k":[1,2]}', list: '["x"]', nil: null });
    expect(typesOf(t)).toEqual({ id: 'varchar', obj: 'varchar', list: 'varchar', nil: 'varchar' });
  });

  it('a null never changes an existing type', () => {
    const t = new ColumnTracker('x', ['id'], { n: 'bigint', at: 'timestamp' });
    t.toRow({ id: 'a', n: null, at: null });
    expect(typesOf(t)).toMatchObject({ n: 'bigint', at: 'timestamp' });
  });

  it('widens bigint to double, and double stays double for integers', () => {
    const t = new ColumnTracker('x', ['id'], {});
    t.toRow({ id: 'a', v: 1 });
    expect(typesOf(t).v).toBe('bigint');
    t.toRow({ id: 'b', v: 2.5 });
    expect(typesOf(t).v).toBe('double');
    t.toRow({ id: 'c', v: 3 });
    expect(typesOf(t).v).toBe('double');
  });

  it('widens to varchar when the families disagree, and never narrows back', () => {
    const cases: [ColumnType, unknown, ColumnType][] = [
      ['bigint', 'abc', 'varchar'],
      ['double', true, 'varchar'],
      ['boolean', 1, 'varchar'],
      ['boolean', 'yes', 'varchar'],
      ['timestamp', 'not a time', 'varchar'],
      ['timestamp', 1714564800, 'varchar'],
      ['timestamp', '2024-03-01T10:00:00+02:00', 'varchar'],
    ];
    for (const [declared, value, expected] of cases) {
      const t = new ColumnTracker('x', ['id'], { v: declared });
      t.toRow({ id: '1', v: value });
      expect(typesOf(t).v, `${declared} + ${JSON.stringify(value)}`).toBe(expected);
      t.toRow({
        id: '2',
        v: declared === 'boolean' ? true : declared === 'timestamp' ? '2024-01-01T00:00:00.000Z' : 1,
      });
      expect(typesOf(t).v).toBe('varchar');
    }
  });

  it('keeps a declared timestamp for ISO-8601 UTC values', () => {
    const t = new ColumnTracker('x', ['id'], { at: 'timestamp' });
    for (const at of ['2024-03-01T10:00:00Z', '2024-03-01T10:00:00.123Z', '2024-03-01T10:00:00.123456Z'])
      t.toRow({ id: '1', at });
    expect(typesOf(t).at).toBe('timestamp');
  });

  it('keeps declared varchar for numbers and booleans', () => {
    const t = new ColumnTracker('x', ['id'], { v: 'varchar' });
    t.toRow({ id: '1', v: 5 });
    t.toRow({ id: '2', v: false });
    expect(typesOf(t).v).toBe('varchar');
  });

  it('returns the same spec object until a column changes', () => {
    const t = new ColumnTracker('x', ['id'], { id: 'varchar', n: 'bigint' });
    const s1 = t.spec();
    t.toRow({ id: 'a', n: 1 });
    expect(t.spec()).toBe(s1);
    t.toRow({ id: 'b', n: 1.5 });
    const s2 = t.spec();
    expect(s2).not.toBe(s1);
    expect(s2.columns.find((c) => c.name === 'n')!.type).toBe('double');
    t.toRow({ id: 'c', extra: 'x' });
    expect(t.spec().columns.map((c) => c.name)).toEqual(['id', 'n', 'extra']);
  });

  it('seed() takes an existing table into account and never narrows it', () => {
    const t = new ColumnTracker('x', ['id'], { id: 'varchar', n: 'bigint', flag: 'boolean' });
    t.seed([
      { name: 'n', type: 'double' },
      { name: 'flag', type: 'varchar' },
      { name: 'legacy', type: 'timestamp' },
    ]);
    expect(typesOf(t)).toEqual({ id: 'varchar', n: 'double', flag: 'varchar', legacy: 'timestamp' });
    t.toRow({ id: 'a', n: 1, flag: true });
    expect(typesOf(t)).toMatchObject({ n: 'double', flag: 'varchar' });
  });

  it('converts many records quickly', () => {
    const t = new ColumnTracker('x', ['id'], { id: 'varchar', at: 'timestamp' });
    const start = performance.now();
    for (let i = 0; i < 100_000; i++)
      t.toRow({ id: String(i), at: '2024-03-01T10:00:00.000Z', n: i, name: 'n', tags: ['a'] });
    expect(performance.now() - start).toBeLessThan(2000);
    expect(typesOf(t)).toEqual({
      id: 'varchar',
      at: 'timestamp',
      n: 'bigint',
      name: 'varchar',
      tags: 'varchar',
    });
  });
});

describe('ColumnTracker and exact numbers', () => {
  const big = (s: string) => new ExactNumber(s);

  it('stores an integer beyond 2^53 within int64 as its exact text in a bigint column', () => {
    const t = new ColumnTracker('x', ['id'], { id: 'bigint' });
    const a = t.toRow({ id: big('9007199254740993') });
    const b = t.toRow({ id: big('9007199254740992') });
    expect(a.id).toBe('9007199254740993');
    expect(b.id).toBe('9007199254740992');
    expect(a.id).not.toBe(b.id);
    expect(typesOf(t)).toEqual({ id: 'bigint' });
  });

  it('widens to decimal beyond int64 and beyond the double range, never to double or Infinity', () => {
    const t = new ColumnTracker('x', ['id'], { id: 'bigint' });
    const r1 = t.toRow({ id: big('123456789012345678901234567890'), v: big('1e400'), w: big('-1e-400') });
    expect(r1).toEqual({ id: '123456789012345678901234567890', v: '1e400', w: '-1e-400' });
    expect(typesOf(t)).toEqual({ id: 'decimal', v: 'decimal', w: 'decimal' });
    // Plain numbers later fit a decimal column; text does not.
    t.toRow({ id: 5, v: 2.5, w: 'not a number' });
    expect(typesOf(t)).toEqual({ id: 'decimal', v: 'decimal', w: 'varchar' });
  });

  it('a double column meeting an exact integer becomes decimal, and so does an exact-integer column meeting a double', () => {
    const t = new ColumnTracker('x', [], {});
    t.toRow({ f: 1.5, n: big('9007199254740993') });
    expect(typesOf(t)).toEqual({ f: 'double', n: 'bigint' });
    t.toRow({ f: big('9007199254740993'), n: 0.5 });
    expect(typesOf(t)).toEqual({ f: 'decimal', n: 'decimal' });
    // A bigint column that never held an exact integer still widens to double, as before.
    const u = new ColumnTracker('y', [], {});
    u.toRow({ n: 1 });
    u.toRow({ n: 0.5 });
    expect(typesOf(u)).toEqual({ n: 'double' });
  });

  it('writes exact numbers inside objects as number tokens', () => {
    const t = new ColumnTracker('x', [], {});
    expect(t.toRow({ o: { id: big('9007199254740993'), v: big('1e400') } }).o).toBe(
      '{"id":9007199254740993,"v":1e400}',
    );
  });

  it('gives a disambiguated column the source path its record carries', () => {
    const t = new ColumnTracker('x', ['id'], { id: 'bigint' });
    const rec: Record<string, unknown> = { id: 1, foo_bar: 'a', foo_bar__2: 'b' };
    Object.defineProperty(rec, RENAMED_FIELDS, { value: { foo_bar__2: 'fooBar' } });
    t.toRow(rec);
    expect(t.spec().columns).toEqual([
      { name: 'id', type: 'bigint' },
      { name: 'foo_bar', type: 'varchar' },
      { name: 'foo_bar__2', type: 'varchar', sourcePath: 'fooBar' },
    ]);
  });

  describe('inferring (a stream without a schema file)', () => {
    it('types the primary key, date-time strings and numbers from the values', () => {
      const t = new ColumnTracker('x', ['id'], {}, { infer: true });
      t.toRow({ id: 42, at: '2024-01-01T10:00:00+02:00', day: '2024-01-01', n: 1.5, ok: false, o: { a: 1 } });
      expect(typesOf(t)).toEqual({
        id: 'bigint',
        at: 'timestamp',
        day: 'varchar',
        n: 'double',
        ok: 'boolean',
        o: 'varchar',
      });
    });

    it('a null does not pin a new column to varchar: the column waits for a value', () => {
      const t = new ColumnTracker('x', ['id'], {}, { infer: true });
      const row = t.toRow({ id: 1, later: null });
      expect(row).toEqual({ id: 1 });
      expect(typesOf(t)).toEqual({ id: 'bigint' });
      t.toRow({ id: 2, later: '2024-05-05T00:00:00Z' });
      expect(typesOf(t)).toEqual({ id: 'bigint', later: 'timestamp' });
      // Once the column exists, a null is a value like any other.
      expect(t.toRow({ id: 3, later: null })).toEqual({ id: 3, later: null });
    });

    it('widens a timestamp to text on a value that is not a date-time, and never back', () => {
      const t = new ColumnTracker('x', ['id'], {}, { infer: true });
      t.toRow({ id: 1, at: '2024-01-01T00:00:00Z' });
      t.toRow({ id: 2, at: 'yesterday' });
      t.toRow({ id: 3, at: '2024-01-01T00:00:00Z' });
      expect(typesOf(t)).toEqual({ id: 'bigint', at: 'varchar' });
    });

    it('gives a key no record typed yet text, as an undeclared key always had', () => {
      const t = new ColumnTracker('x', ['id'], {}, { infer: true });
      expect(typesOf(t)).toEqual({ id: 'varchar' });
    });

    it('without inference, date-time strings of undeclared columns stay text (declared streams unchanged)', () => {
      const t = new ColumnTracker('x', ['id'], {});
      t.toRow({ id: 1, at: '2024-01-01T00:00:00Z' });
      expect(typesOf(t)).toEqual({ id: 'varchar', at: 'varchar' });
    });
  });
});
