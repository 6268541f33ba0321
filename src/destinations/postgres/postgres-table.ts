/**
 * A stream's table in PostgreSQL: read what exists (pg_catalog), and plan the DDL that makes it match
 * the batch's TableSpec (create, add columns, widen types) without ever narrowing or dropping data.
 */
import type { PoolClient } from 'pg';
import { DestinationError } from '../../errors.js';
import {
  type ColumnType,
  type Row,
  SYSTEM_COLUMNS,
  type SchemaChange,
  type TableSpec,
  widenType,
} from '../destination.js';
import type { CopyColumn } from './postgres-copy.js';
import {
  derivedIdentifier,
  type PgIdentifier,
  pgIdentifier,
  qualify,
  quoteIdent,
  quoteLiteral,
} from './postgres-sql.js';
import { canWiden, columnTypeFromPg, PG_TYPE, typeForValues, widenUsing } from './postgres-types.js';

/** A column as the catalog describes it. */
export interface ExistingColumn {
  name: string;
  typname: string;
  typmod: number;
  /** `format_type` output, for messages. */
  formatted: string;
}

/** A table as the catalog describes it. */
export interface ExistingTable {
  relkind: string;
  comment: string | null;
  columns: Map<string, ExistingColumn>;
  /** Primary key column names in key order, or null when the table has none. */
  primaryKey: string[] | null;
  primaryKeyConstraint: string | null;
}

export { markerComment, OWNED_MARKER, readMarker, type TableMarker } from '../table-marker.js';
import { markerComment, readMarker, type TableMarker } from '../table-marker.js';

const INTROSPECT_SQL = `
SELECT c.relkind::text AS relkind,
       obj_description(c.oid, 'pg_class') AS comment,
       (SELECT coalesce(json_agg(json_build_object(
                 'name', a.attname, 'typname', t.typname, 'typmod', a.atttypmod,
                 'formatted', format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum), '[]'::json)
          FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
       (SELECT json_build_object('name', con.conname, 'columns',
                 (SELECT json_agg(a.attname ORDER BY k.ord)
                    FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum))
          FROM pg_constraint con WHERE con.conrelid = c.oid AND con.contype = 'p') AS pk
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1 AND c.relname = $2`;

/** Read a table's shape, or undefined when no relation of that name exists in the schema. */
export async function introspectTable(
  client: PoolClient,
  schema: string,
  table: string,
): Promise<ExistingTable | undefined> {
  const res = await client.query<{
    relkind: string;
    comment: string | null;
    columns: ExistingColumn[];
    pk: { name: string; columns: string[] } | null;
  }>(INTROSPECT_SQL, [schema, table]);
  const row = res.rows[0];
  if (row === undefined) return undefined;
  return {
    relkind: row.relkind,
    comment: row.comment,
    columns: new Map(row.columns.map((c) => [c.name, c])),
    primaryKey: row.pk?.columns ?? null,
    primaryKeyConstraint: row.pk?.name ?? null,
  };
}

/** The system columns every stream table carries, with their definitions. */
const SYSTEM_COLUMN_DEFS: ReadonlyArray<{ name: string; type: ColumnType; definition: string }> = [
  { name: SYSTEM_COLUMNS.syncedAt, type: 'timestamp', definition: 'timestamptz' },
  { name: SYSTEM_COLUMNS.deleted, type: 'boolean', definition: 'boolean NOT NULL DEFAULT false' },
  { name: SYSTEM_COLUMNS.pass, type: 'varchar', definition: 'text' },
];

/** Everything a write needs to know about the table after its DDL has run. */
export interface TablePlan {
  /** DDL to run, in order, inside the write transaction. */
  statements: string[];
  changes: SchemaChange[];
  /** The stream's columns with their PostgreSQL names and effective types, in spec order. */
  columns: CopyColumn[];
  /** PostgreSQL names of the primary key columns, in key order. */
  primaryKey: string[];
  /** Identifiers that differ from the names asked for, to record in `_tributary_names`. */
  mappedNames: Array<{ kind: string; original: string; name: string }>;
}

export interface PlanInput {
  schema: string;
  /** The table to write (the stream table, or its replace side table). */
  table: PgIdentifier;
  spec: TableSpec;
  rows: readonly Row[];
  existing: ExistingTable | undefined;
  /** Comment written on a table this plan creates. */
  marker: TableMarker;
}

function keyList(names: readonly string[]): string {
  return names.length === 0 ? 'none' : `(${names.map((n) => JSON.stringify(n)).join(', ')})`;
}

/** Map and validate the spec's column names. */
function specColumns(spec: TableSpec): { ids: PgIdentifier[]; byOriginal: Map<string, PgIdentifier> } {
  const ids: PgIdentifier[] = [];
  const byOriginal = new Map<string, PgIdentifier>();
  const byName = new Map<string, string>();
  for (const column of spec.columns) {
    if (column.name.startsWith('_tributary_')) {
      throw new DestinationError(
        'TRB_DEST_SCHEMA',
        `stream "${spec.stream}" has a column named "${column.name}": names starting with _tributary_ are reserved ` +
          'for tributary system columns. Rename the field in the connector transforms.',
      );
    }
    if (byOriginal.has(column.name)) {
      throw new DestinationError(
        'TRB_DEST_SCHEMA',
        `stream "${spec.stream}" declares column "${column.name}" twice`,
      );
    }
    const id = pgIdentifier(column.name, 'column');
    const clash = byName.get(id.name);
    if (clash !== undefined) {
      throw new DestinationError(
        'TRB_DEST_SCHEMA',
        `stream "${spec.stream}": columns "${clash}" and "${column.name}" would both be stored as "${id.name}" in PostgreSQL`,
      );
    }
    byName.set(id.name, column.name);
    byOriginal.set(column.name, id);
    ids.push(id);
  }
  for (const key of spec.primaryKey) {
    if (!byOriginal.has(key)) {
      throw new DestinationError(
        'TRB_DEST_SCHEMA',
        `stream "${spec.stream}" declares primary key column "${key}" but no column of that name`,
      );
    }
  }
  return { ids, byOriginal };
}

function sameKey(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((k) => set.has(k));
}

/**
 * Plan the DDL that makes `existing` hold the batch: create the table, add missing columns, and widen
 * columns whose declared type or whose values need a wider type. Refuses (TRB_DEST_SCHEMA) anything it
 * cannot do without losing data: a different primary key, a column of a type tributary does not manage.
 */
export function planTable(input: PlanInput): TablePlan {
  const { schema, table, spec, rows, existing } = input;
  const qualified = qualify(schema, table.name);
  const where = `table ${qualified}`;
  const { ids, byOriginal } = specColumns(spec);
  const primaryKey = spec.primaryKey.map((k) => byOriginal.get(k)!.name);
  const statements: string[] = [];
  const changes: SchemaChange[] = [];
  const mappedNames: TablePlan['mappedNames'] = [];
  if (table.mapped) mappedNames.push({ kind: 'table', original: table.original, name: table.name });
  for (const id of ids)
    if (id.mapped) mappedNames.push({ kind: 'column', original: id.original, name: id.name });

  if (existing !== undefined && existing.relkind !== 'r' && existing.relkind !== 'p') {
    throw new DestinationError(
      'TRB_DEST_SCHEMA',
      `${where} exists but is not a table (relkind ${existing.relkind}); tributary needs a plain table there for ` +
        `stream "${spec.stream}". Drop or rename it, or sync into another schema.`,
    );
  }

  const owned = existing !== undefined && readMarker(existing.comment) !== undefined;
  if (existing !== undefined && !sameKey(existing.primaryKey ?? [], primaryKey)) {
    const has = keyList(existing.primaryKey ?? []);
    throw new DestinationError(
      'TRB_DEST_SCHEMA',
      owned
        ? `${where} has primary key ${has} but stream "${spec.stream}" now declares ${keyList(primaryKey)}. A primary ` +
            `key cannot change in place: drop the table and reset the stream's state to rebuild it.`
        : `${where} already exists and was not created by tributary: its primary key is ${has} but stream ` +
            `"${spec.stream}" needs ${keyList(primaryKey)}. tributary will not take over a table with a different key; ` +
            'drop or rename it, or sync into another schema.',
      { details: { table: table.name, existingPrimaryKey: existing.primaryKey, primaryKey } },
    );
  }

  const columns: CopyColumn[] = [];
  const adds: string[] = [];
  const alters: string[] = [];
  spec.columns.forEach((column, i) => {
    const id = ids[i]!;
    const current = existing?.columns.get(id.name);
    let currentType: ColumnType | undefined;
    if (current !== undefined) {
      currentType = columnTypeFromPg(current.typname, current.typmod);
      if (currentType === undefined) {
        throw new DestinationError(
          'TRB_DEST_SCHEMA',
          `${where} column ${quoteIdent(id.name)} has type ${current.formatted}, which tributary does not write ` +
            `(it uses boolean, bigint, double precision, numeric, timestamptz and text). Change the column's type or drop the table.`,
          { details: { table: table.name, column: id.name, type: current.formatted } },
        );
      }
    }
    const declared = currentType === undefined ? column.type : widenType(currentType, column.type);
    const type = typeForValues(declared, spec.stream, column.name, rows);
    columns.push({ name: id.name, source: column.name, type });
    if (existing === undefined) return;
    if (currentType === undefined) {
      adds.push(`ADD COLUMN ${quoteIdent(id.name)} ${PG_TYPE[type]}`);
      changes.push({ stream: spec.stream, kind: 'add_column', column: column.name, toType: type });
      if (column.sourcePath !== undefined) {
        changes.push({
          stream: spec.stream,
          kind: 'rename_collision',
          column: column.name,
          sourcePath: column.sourcePath,
        });
      }
    } else if (type !== currentType && canWiden(currentType, type)) {
      const col = quoteIdent(id.name);
      alters.push(`ALTER COLUMN ${col} TYPE ${PG_TYPE[type]} USING ${widenUsing(col, currentType, type)}`);
      changes.push({
        stream: spec.stream,
        kind: 'widen_column',
        column: column.name,
        fromType: currentType,
        toType: type,
      });
    }
  });

  if (existing === undefined) {
    const defs = columns.map((c) => `${quoteIdent(c.name)} ${PG_TYPE[c.type]}`);
    for (const sys of SYSTEM_COLUMN_DEFS) defs.push(`${quoteIdent(sys.name)} ${sys.definition}`);
    if (primaryKey.length > 0) {
      const constraint = derivedIdentifier('', table.name, '_pkey', 'constraint');
      defs.push(
        `CONSTRAINT ${quoteIdent(constraint.name)} PRIMARY KEY (${primaryKey.map(quoteIdent).join(', ')})`,
      );
    }
    statements.push(`CREATE TABLE ${qualified} (${defs.join(', ')})`);
    statements.push(`COMMENT ON TABLE ${qualified} IS ${quoteLiteral(markerComment(input.marker))}`);
    changes.push({ stream: spec.stream, kind: 'create_table' });
    for (const c of spec.columns) {
      if (c.sourcePath !== undefined)
        changes.push({
          stream: spec.stream,
          kind: 'rename_collision',
          column: c.name,
          sourcePath: c.sourcePath,
        });
    }
  } else {
    for (const sys of SYSTEM_COLUMN_DEFS) {
      const current = existing.columns.get(sys.name);
      if (current === undefined) {
        adds.push(`ADD COLUMN ${quoteIdent(sys.name)} ${sys.definition}`);
      } else if (columnTypeFromPg(current.typname, current.typmod) !== sys.type) {
        throw new DestinationError(
          'TRB_DEST_SCHEMA',
          `${where} has a column ${quoteIdent(sys.name)} of type ${current.formatted}; tributary uses that name for ` +
            `its ${PG_TYPE[sys.type]} system column. Drop or rename the column, or sync into another schema.`,
        );
      }
    }
    // One ALTER TABLE: PostgreSQL rewrites the table at most once for all the changes.
    const actions = [...adds, ...alters];
    if (actions.length > 0) statements.push(`ALTER TABLE ${qualified} ${actions.join(', ')}`);
  }
  return { statements, changes, columns, primaryKey, mappedNames };
}
