/**
 * PostgreSQL's tables role (sql/dialect.ts): read a table's shape from pg_catalog, and the DDL that creates
 * or evolves it, never narrowing or dropping data. Runs inside the protocol's transaction.
 */
import { bookkeepingColumnDdl, createBookkeepingSql } from '../sql/bookkeeping.js';
import type { ColumnType } from '../destination.js';
import type { BookkeepingType, DialectTables, ShapeColumn, TableShape } from '../sql/dialect.js';
import { markerComment } from '../table-marker.js';
import type { PgTx } from './postgres-session.js';
import { derivedIdentifier, qualify, quoteIdent, quoteLiteral } from './postgres-sql.js';
import { columnTypeFromPg, PG_TYPE, widenUsing } from './postgres-types.js';

/** A column as the catalog describes it. */
interface CatalogColumn {
  name: string;
  typname: string;
  typmod: number;
  /** `format_type` output, for messages. */
  formatted: string;
}

/** What only the PostgreSQL dialect reads back from a shape: the primary key constraint's name. */
interface PgNative {
  primaryKeyConstraint: string | null;
}

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
export async function readTable(tx: PgTx, schema: string, table: string): Promise<TableShape | undefined> {
  const res = await tx.client.query<{
    relkind: string;
    comment: string | null;
    columns: CatalogColumn[];
    pk: { name: string; columns: string[] } | null;
  }>(INTROSPECT_SQL, [schema, table]);
  const row = res.rows[0];
  if (row === undefined) return undefined;
  const nativeShape: PgNative = { primaryKeyConstraint: row.pk?.name ?? null };
  return {
    name: table,
    comment: row.comment,
    columns: row.columns.map(
      (c): ShapeColumn => ({
        name: c.name,
        type: columnTypeFromPg(c.typname, c.typmod),
        nativeType: c.formatted,
      }),
    ),
    primaryKey: row.pk?.columns ?? [],
    ...(row.relkind === 'r' || row.relkind === 'p' ? {} : { notATable: `relkind ${row.relkind}` }),
    native: nativeShape,
  };
}

/** The system columns' definitions when tributary adds them (NOT NULL with a default fills stored rows). */
const SYSTEM_COLUMN_DEFINITION: Record<string, string> = {
  _tributary_synced_at: 'timestamptz',
  _tributary_deleted: 'boolean NOT NULL DEFAULT false',
  _tributary_pass: 'text',
};

const BOOKKEEPING_TYPE: Record<BookkeepingType, string> = {
  key: 'text',
  text: 'text',
  json: 'jsonb',
  timestamp: 'timestamptz',
  bigint: 'bigint',
};

/** The name of a table's primary key constraint. */
function keyConstraint(table: string): string {
  return derivedIdentifier('', table, '_pkey', 'constraint').name;
}

/** PostgreSQL's tables role for one schema. */
export function postgresTables(schema: string): DialectTables<PgTx> {
  const q = (table: string) => qualify(schema, table);
  return {
    readTable: (tx, table) => readTable(tx, schema, table),
    async tableComments(tx) {
      const res = await tx.client.query<{ comment: string | null }>(
        `SELECT obj_description(c.oid, 'pg_class') AS comment
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')`,
        [schema],
      );
      return res.rows.map((r) => r.comment);
    },
    async createTable(tx, table, columns, primaryKey, comment) {
      const defs = columns.map((c) => `${quoteIdent(c.name)} ${PG_TYPE[c.type]}`);
      for (const [name, definition] of Object.entries(SYSTEM_COLUMN_DEFINITION))
        defs.push(`${quoteIdent(name)} ${definition}`);
      if (primaryKey.length > 0) {
        defs.push(
          `CONSTRAINT ${quoteIdent(keyConstraint(table))} PRIMARY KEY (${primaryKey.map(quoteIdent).join(', ')})`,
        );
      }
      await tx.run(`CREATE TABLE ${q(table)} (${defs.join(', ')})`);
      await tx.run(`COMMENT ON TABLE ${q(table)} IS ${quoteLiteral(comment)}`);
    },
    async alterTable(tx, shape, change) {
      const actions = [
        ...change.add.map((c) => `ADD COLUMN ${quoteIdent(c.name)} ${PG_TYPE[c.type]}`),
        ...change.addSystem.map((name) => `ADD COLUMN ${quoteIdent(name)} ${SYSTEM_COLUMN_DEFINITION[name]}`),
        ...change.widen.map((w) => {
          const col = quoteIdent(w.column.name);
          return `ALTER COLUMN ${col} TYPE ${PG_TYPE[w.to]} USING ${widenUsing(col, w.column.type as ColumnType, w.to)}`;
        }),
      ];
      // One ALTER TABLE: PostgreSQL rewrites the table at most once for all the changes.
      if (actions.length > 0) await tx.run(`ALTER TABLE ${q(shape.name)} ${actions.join(', ')}`);
      return actions.length > 0;
    },
    async createBookkeepingTable(tx, table, columns) {
      await tx.run(createBookkeepingSql(q(table), columns, quoteIdent, BOOKKEEPING_TYPE));
    },
    async addBookkeepingColumn(tx, table, column) {
      await tx.run(
        `ALTER TABLE ${q(table)} ADD COLUMN IF NOT EXISTS ${bookkeepingColumnDdl(column, quoteIdent, BOOKKEEPING_TYPE)}`,
      );
    },
    // The key is the table's constraint: the comment holds the marker alone.
    markerComment: (marker) => markerComment(marker),
    async setComment(tx, table, comment) {
      await tx.run(`COMMENT ON TABLE ${q(table)} IS ${quoteLiteral(comment)}`);
    },
    async renameTable(tx, from, to) {
      await tx.run(`ALTER TABLE ${q(from.name)} RENAME TO ${quoteIdent(to)}`);
      const constraint = (from.native as PgNative).primaryKeyConstraint;
      const wanted = keyConstraint(to);
      if (constraint !== null && constraint !== wanted) {
        await tx.run(
          `ALTER TABLE ${q(to)} RENAME CONSTRAINT ${quoteIdent(constraint)} TO ${quoteIdent(wanted)}`,
        );
      }
    },
    async dropTable(tx, table) {
      await tx.run(`DROP TABLE ${q(table)}`);
    },
  };
}
