import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Manifest } from '../../src/declarative/manifest-schema.js';
import { columnTypeOf, readStreamSchemas, schemaInfo } from '../../src/declarative/stream-schema.js';

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

describe('readStreamSchemas', () => {
  const manifest = (streams: Record<string, unknown>[]) =>
    Manifest.parse({
      version: 1,
      name: 'shop',
      title: 'Shop',
      spec: { properties: {} },
      requester: { base_url: 'http://127.0.0.1/' },
      check: { stream: 'a' },
      streams,
    });
  const person = {
    type: 'object',
    properties: { id: { type: 'integer' }, at: { type: 'string', format: 'date-time' } },
  };

  it('reads the named file, else schemas/<stream>.json, else infers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-schemas-'));
    try {
      mkdirSync(join(dir, 'schemas'));
      mkdirSync(join(dir, 'other'));
      writeFileSync(join(dir, 'other', 'a.json'), JSON.stringify(person));
      writeFileSync(join(dir, 'schemas', 'b.json'), JSON.stringify(person));
      const schemas = readStreamSchemas(
        manifest([
          { name: 'a', path: 'a', primary_key: ['id'], schema: 'other/a.json' },
          { name: 'b', path: 'b', primary_key: ['id'] },
          { name: 'c', path: 'c', primary_key: ['id'] },
        ]),
        dir,
        'shop',
      );
      expect(schemas.a!.declaredColumns).toEqual({ id: 'bigint', at: 'timestamp' });
      expect(schemas.a!.inferred).toBeUndefined();
      expect(schemas.b!.declaredColumns).toEqual({ id: 'bigint', at: 'timestamp' });
      expect(schemas.c).toMatchObject({ inferred: true, declaredColumns: {}, dateTimeFields: [] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a placeholder that declares no property ({"type": "object"}) is inferred too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-schemas-'));
    try {
      mkdirSync(join(dir, 'schemas'));
      writeFileSync(join(dir, 'schemas', 'a.json'), '{"type": "object"}');
      writeFileSync(join(dir, 'schemas', 'b.json'), '{"type": "object", "properties": {}}');
      const schemas = readStreamSchemas(
        manifest([
          { name: 'a', path: 'a', primary_key: ['id'], schema: 'schemas/a.json' },
          { name: 'b', path: 'b', primary_key: ['id'] },
        ]),
        dir,
        'shop',
      );
      expect(schemas.a).toMatchObject({
        inferred: true,
        declaredColumns: {},
        jsonSchema: { type: 'object' },
      });
      expect(schemas.b).toMatchObject({ inferred: true, declaredColumns: {} });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a named file that is missing is a manifest error that says how to infer instead', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-schemas-'));
    try {
      expect(() =>
        readStreamSchemas(
          manifest([{ name: 'a', path: 'a', primary_key: ['id'], schema: 'schemas/a.json' }]),
          dir,
          'shop',
        ),
      ).toThrow(
        /schema for stream a \(schemas\/a\.json\) cannot be read.*leave out `schema:` to infer.*--write-schemas/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a default file that is not JSON is an error too, not silently inferred', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-schemas-'));
    try {
      mkdirSync(join(dir, 'schemas'));
      writeFileSync(join(dir, 'schemas', 'a.json'), '{ not json');
      expect(() =>
        readStreamSchemas(manifest([{ name: 'a', path: 'a', primary_key: ['id'] }]), dir, 'shop'),
      ).toThrow(/schema for stream a \(schemas\/a\.json\) cannot be read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
