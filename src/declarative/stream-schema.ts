/**
 * Reading a stream's JSON Schema file: declared column types and the fields that hold date-times. A stream
 * may have none: its manifest entry names no `schema:` and `schemas/<stream>.json` does not exist, or the
 * file is a placeholder that declares no property (`{"type": "object"}`). Then its columns are inferred from
 * the records (the engine's column tracker, src/engine/schema-inference.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ColumnType } from '../destinations/destination.js';
import { ConfigError } from '../errors.js';
import type { Manifest } from './manifest-schema.js';

export interface SchemaInfo {
  jsonSchema: Record<string, unknown>;
  declaredColumns: Record<string, ColumnType>;
  dateTimeFields: string[];
  /** No schema file: the columns are inferred from the records read. */
  inferred?: boolean;
}

/** What a stream without a schema file advertises (discover, the Airbyte catalog): any object. */
export const INFERRED_SCHEMA: Record<string, unknown> = Object.freeze({
  type: 'object',
  additionalProperties: true,
  properties: {},
  description: 'no schema file: column types are inferred from the records read',
}) as Record<string, unknown>;

/** The schema file a stream without `schema:` is looked up at (and `discover --write-schemas` writes). */
export function defaultSchemaPath(stream: string): string {
  return `schemas/${stream}.json`;
}

/**
 * Every stream's schema, read from the connector folder `dir`: the manifest's `schema:` file (which must
 * exist), else `schemas/<stream>.json` when it exists, else inferred.
 */
export function readStreamSchemas(
  manifest: Manifest,
  dir: string,
  connector: string,
): Record<string, SchemaInfo> {
  const schemas: Record<string, SchemaInfo> = {};
  for (const s of manifest.streams) {
    const rel = s.schema ?? defaultSchemaPath(s.name);
    const file = join(dir, rel);
    if (s.schema === undefined && !existsSync(file)) {
      schemas[s.name] = {
        jsonSchema: INFERRED_SCHEMA,
        declaredColumns: {},
        dateTimeFields: [],
        inferred: true,
      };
      continue;
    }
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(
        `connector ${connector}: schema for stream ${s.name} (${rel}) cannot be read: ${(err as Error).message}` +
          (existsSync(file)
            ? ''
            : ` (leave out \`schema:\` to infer the column types; \`tributary discover ${connector} --config F --write-schemas\` then writes ${defaultSchemaPath(s.name)})`),
        { code: 'TRB_MANIFEST_INVALID' },
      );
    }
    // A placeholder (`{"type": "object"}`, as `tributary init` writes) declares no column: inferred too.
    schemas[s.name] = isPlaceholderSchema(json)
      ? { jsonSchema: json, declaredColumns: {}, dateTimeFields: [], inferred: true }
      : schemaInfo(json);
  }
  return schemas;
}

/** A schema that declares no property: it types no column, so the stream's columns are inferred. */
export function isPlaceholderSchema(json: unknown): boolean {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return false;
  const props = (json as Record<string, unknown>).properties;
  return (
    props === undefined || (typeof props === 'object' && props !== null && Object.keys(props).length === 0)
  );
}

interface Prop {
  type?: string | string[];
  format?: string;
}

export function columnTypeOf(prop: Prop): ColumnType {
  const types = (Array.isArray(prop.type) ? prop.type : [prop.type]).filter((t) => t && t !== 'null');
  if (types.length !== 1) return 'varchar';
  switch (types[0]) {
    case 'integer':
      return 'bigint';
    case 'number':
      return 'double';
    case 'boolean':
      return 'boolean';
    case 'string':
      return prop.format === 'date-time' ? 'timestamp' : 'varchar';
    default:
      // objects and arrays land as JSON text
      return 'varchar';
  }
}

export function schemaInfo(jsonSchema: Record<string, unknown>): SchemaInfo {
  const props = (jsonSchema.properties ?? {}) as Record<string, Prop>;
  const declaredColumns: Record<string, ColumnType> = {};
  const dateTimeFields: string[] = [];
  for (const [name, p] of Object.entries(props)) {
    declaredColumns[name] = columnTypeOf(p);
    if (declaredColumns[name] === 'timestamp') dateTimeFields.push(name);
  }
  return { jsonSchema, declaredColumns, dateTimeFields };
}
