/** Reading a stream's JSON Schema file: declared column types and the fields that hold date-times. */
import type { ColumnType } from '../destinations/destination.js';

export interface SchemaInfo {
  jsonSchema: Record<string, unknown>;
  declaredColumns: Record<string, ColumnType>;
  dateTimeFields: string[];
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
