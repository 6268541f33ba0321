/**
 * `tributary sql DESTINATION "QUERY"`: run one read-only query on a DuckDB destination and print a table, so
 * someone who installed tributary can look at what a sync wrote without a `duckdb` CLI. The file is opened
 * READ_ONLY (DuckDbReader), so the query cannot change it.
 */
import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { intOption } from './common.js';
import { textTable } from './text-table.js';

export function registerSql(program: Command): void {
  program
    .command('sql')
    .description('run a read-only SQL query on a DuckDB destination and print the rows as a table')
    .argument('<destination>', 'duckdb:PATH (or a path ending in .duckdb)')
    .argument('<query>', 'the SQL, e.g. "select * from my_api.orders limit 5"')
    .addOption(intOption('--max-rows <n>', 'print at most this many rows', 1, 1_000_000, 100))
    .option('--json', 'print the rows as JSON lines instead of a table', false)
    .action(async (destination: string, query: string, o: { maxRows: number; json?: boolean }) => {
      process.stdout.write(await sqlCommand(destination, query, o));
    });
}

export async function sqlCommand(
  destination: string,
  query: string,
  o: { maxRows: number; json?: boolean },
): Promise<string> {
  const url = destination.trim();
  if (!url.startsWith('duckdb:') && !/\.(duckdb|db)$/i.test(url)) {
    throw new ConfigError(
      `tributary sql reads DuckDB destinations (duckdb:PATH); for PostgreSQL or MySQL use psql or mysql`,
      { code: 'TRB_USAGE' },
    );
  }
  const path = url.startsWith('duckdb:') ? url.slice('duckdb:'.length) : url;
  const { DuckDbReader } = await import('../destinations/duckdb/duckdb-reader.js');
  const reader = await DuckDbReader.open(path);
  try {
    const { columns, rows } = await reader.query(query);
    const shown = rows.slice(0, o.maxRows);
    if (o.json) {
      return shown
        .map((r) => `${JSON.stringify(Object.fromEntries(columns.map((c, i) => [c, r[i]])))}\n`)
        .join('');
    }
    const more = rows.length > shown.length ? ` (first ${shown.length} shown; --max-rows for more)` : '';
    return `${textTable(columns, shown)}\n(${rows.length} row${rows.length === 1 ? '' : 's'}${more})\n`;
  } finally {
    await reader.close();
  }
}
