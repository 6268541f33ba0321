import { describe, expect, it } from 'vitest';
import type { ColumnType } from '../../../src/destinations/destination.js';
import { ColumnTracker } from '../../../src/engine/column-tracker.js';

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
