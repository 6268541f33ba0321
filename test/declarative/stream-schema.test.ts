import { describe, expect, it } from 'vitest';
import { columnTypeOf, schemaInfo } from '../../src/declarative/stream-schema.js';

describe('columnTypeOf', () => {
  it.each([
    [{ type: 'integer' }, 'bigint'],
    [{ type: ['integer', 'null'] }, 'bigint'],
    [{ type: 'number' }, 'double'],
    [{ type: ['null', 'number'] }, 'double'],
    [{ type: 'boolean' }, 'boolean'],
    [{ type: 'string' }, 'varchar'],
    [{ type: 'string', format: 'date-time' }, 'timestamp'],
    [{ type: ['string', 'null'], format: 'date-time' }, 'timestamp'],
    [{ type: 'string', format: 'date' }, 'varchar'],
    [{ type: 'object' }, 'varchar'],
    [{ type: 'array' }, 'varchar'],
    [{ type: ['integer', 'string'] }, 'varchar'],
    [{ type: 'null' }, 'varchar'],
    [{}, 'varchar'],
  ] as const)('%j → %s', (prop, expected) => {
    expect(columnTypeOf(prop as { type?: string | string[]; format?: string })).toBe(expected);
  });
});

describe('schemaInfo', () => {
  it('declares every property and lists the date-time fields', () => {
    const json = {
      type: 'object',
      properties: {
        id: { type: 'string' },
        count: { type: ['integer', 'null'] },
        created_at: { type: 'string', format: 'date-time' },
        updated_at: { type: ['string', 'null'], format: 'date-time' },
        tags: { type: 'array', items: { type: 'string' } },
      },
    };
    const info = schemaInfo(json);
    expect(info.jsonSchema).toBe(json);
    expect(info.declaredColumns).toEqual({
      id: 'varchar',
      count: 'bigint',
      created_at: 'timestamp',
      updated_at: 'timestamp',
      tags: 'varchar',
    });
    expect(info.dateTimeFields).toEqual(['created_at', 'updated_at']);
  });

  it('handles a schema without properties', () => {
    expect(schemaInfo({ type: 'object' })).toMatchObject({ declaredColumns: {}, dateTimeFields: [] });
  });
});
