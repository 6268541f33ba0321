/**
 * Reading a few rows back for the demo's "what landed" view. The demo reads the destination directly
 * (DuckDB or PostgreSQL) after the sync closed it, exactly as a user would with their SQL client.
 */
import type { Value } from '../destinations/destination.js';

export interface TablePeek {
  table: string;
  rows: number;
  deleted: number;
  changedThisRun: number;
  sample: Record<string, Value>[];
}

export type Query = (sql: string) => Promise<Record<string, unknown>[]>;

const q = (id: string) => `"${id.replace(/"/g, '""')}"`;

export async function peekTables(
  destination: string,
  schema: string,
  since: Date,
  sampleColumns: number,
  sampleRows: number,
): Promise<TablePeek[]> {
  const { query, close } = await connect(destination);
  try {
    const tables = (
      await query(
        `select table_name from information_schema.tables where table_schema = '${schema.replace(/'/g, "''")}' and table_name not like '\\_tributary\\_%' escape '\\' order by table_name`,
      )
    ).map((r) => String(r.table_name));
    const out: TablePeek[] = [];
    for (const t of tables) {
      const full = `${q(schema)}.${q(t)}`;
      const [counts] = await query(
        `select count(*) as n, count(*) filter (where "_tributary_deleted") as d, count(*) filter (where "_tributary_synced_at" >= '${since.toISOString()}') as c from ${full}`,
      );
      const cols = (
        await query(
          `select column_name from information_schema.columns where table_schema = '${schema.replace(/'/g, "''")}' and table_name = '${t.replace(/'/g, "''")}' and column_name not like '\\_tributary\\_%' escape '\\' order by ordinal_position limit ${sampleColumns}`,
        )
      ).map((r) => String(r.column_name));
      const sample = cols.length
        ? await query(`select ${cols.map(q).join(', ')} from ${full} order by 1 limit ${sampleRows}`)
        : [];
      out.push({
        table: t,
        rows: Number(counts?.n ?? 0),
        deleted: Number(counts?.d ?? 0),
        changedThisRun: Number(counts?.c ?? 0),
        sample: sample as Record<string, Value>[],
      });
    }
    return out;
  } finally {
    await close();
  }
}

/** A plain SQL connection to the demo's destination (DuckDB file, created if missing, or PostgreSQL). */
export async function connect(destination: string): Promise<{ query: Query; close: () => Promise<void> }> {
  if (/^postgres(ql)?:\/\//.test(destination)) {
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: destination });
    await client.connect();
    return {
      query: async (sql) => (await client.query(sql)).rows,
      close: () => client.end(),
    };
  }
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const path = destination.startsWith('duckdb:') ? destination.slice(7) : destination;
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  return {
    query: async (sql) => (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[],
    close: async () => {
      conn.closeSync();
      instance.closeSync();
    },
  };
}
