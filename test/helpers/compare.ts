/** Exact comparison of two destinations' stream tables, ignoring only per-run columns (sync times). */
import { queryDuckDb } from './duckdb.js';

const VOLATILE = new Set(['_tributary_synced_at', '_tributary_pass', 'timestamp']);

/** Every row of every stream table in `schema`, as canonical JSON lines sorted by primary key order. */
export async function dumpDuckDb(path: string, schema: string): Promise<Record<string, string[]>> {
  const tables = (
    await queryDuckDb(
      path,
      `select table_name from information_schema.tables where table_schema = '${schema}' and table_name not like '\\_tributary%' escape '\\' order by 1`,
    )
  ).map((r) => String(r.table_name));
  const out: Record<string, string[]> = {};
  for (const t of tables) {
    const cols = (
      await queryDuckDb(
        path,
        `select column_name from information_schema.columns where table_schema='${schema}' and table_name='${t}' order by column_name`,
      )
    )
      .map((r) => String(r.column_name))
      .filter((c) => !VOLATILE.has(c));
    const rows = await queryDuckDb(
      path,
      `select ${cols.map((c) => `"${c}"`).join(', ')} from "${schema}"."${t}" order by id`,
    );
    out[t] = rows.map((r) => JSON.stringify(r));
  }
  return out;
}
