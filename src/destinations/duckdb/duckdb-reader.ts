/**
 * Read-only access to a DuckDB file for `runs`, `status` and `state show`: the file is opened with
 * `access_mode = READ_ONLY`, so reading never creates a file, a schema or a table, and never blocks on or
 * changes what a sync wrote. A missing file is refused before DuckDB is asked (DuckDB would say less).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { DestinationError } from '../../errors.js';
import {
  BOOKKEEPING_TABLES,
  type DestinationReader,
  type RunRecord,
  type StoredStateRow,
  type StreamState,
  type TableCount,
} from '../destination.js';
import { latestRunsSql, rowCountsSql, tableCount } from '../reader-sql.js';
import { runRecord } from '../run-row.js';
import { quoteIdent, quoteLiteral } from './duckdb-sql.js';

export class DuckDbReader implements DestinationReader {
  readonly description: string;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    path: string,
  ) {
    this.description = `duckdb:${path}`;
  }

  static async open(path: string): Promise<DuckDbReader> {
    const stat = path === ':memory:' ? undefined : statSync(resolve(path), { throwIfNoEntry: false });
    if (stat === undefined || !stat.isFile()) {
      throw new DestinationError(
        'TRB_DEST_OPEN',
        `no DuckDB file at ${path}${stat?.isDirectory() ? ' (it is a directory)' : ''}: nothing has been synced ` +
          'there. Check --destination (or the destination in --config); reading creates nothing.',
        { details: { path } },
      );
    }
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (/Could not set lock on file/i.test(message)) {
        throw new DestinationError(
          'TRB_DEST_LOCKED',
          `DuckDB file ${path} is open for writing by another process (a sync?): DuckDB lets no other process ` +
            'read it meanwhile. Try again when it has finished.',
          { details: { path }, cause: err },
        );
      }
      throw new DestinationError(
        'TRB_DEST_OPEN',
        `Cannot open DuckDB file ${path} for reading: ${message.split('\n')[0]}`,
        { details: { path }, cause: err },
      );
    }
    const conn = await instance.connect();
    await conn.run(`SET TimeZone = 'UTC'`);
    return new DuckDbReader(instance, conn, path);
  }

  async namespaces(): Promise<string[]> {
    const rows = await this.rows(
      `SELECT DISTINCT table_schema AS s FROM information_schema.tables WHERE table_catalog = current_database() ` +
        `AND table_name = ${quoteLiteral(BOOKKEEPING_TABLES.state)} ORDER BY s`,
    );
    return rows.map((r) => String(r.s));
  }

  async readStateRows(namespace: string): Promise<StoredStateRow[]> {
    const rows = await this.rows(
      `SELECT stream, CAST(state AS VARCHAR) AS state, updated_at FROM ${this.table(namespace, 'state')} ORDER BY stream`,
    );
    return rows.map((r) => ({
      stream: String(r.stream),
      state: JSON.parse(String(r.state)) as StreamState,
      updatedAt: r.updated_at as Date,
    }));
  }

  async readRuns(namespace: string, limit: number): Promise<RunRecord[]> {
    return (await this.rows(latestRunsSql(this.table(namespace, 'runs'), limit))).map(runRecord);
  }

  async tableCounts(namespace: string): Promise<TableCount[]> {
    const tables = await this.rows(
      `SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() ` +
        `AND table_schema = ${quoteLiteral(namespace)} AND table_type = 'BASE TABLE' ORDER BY table_name`,
    );
    const out: TableCount[] = [];
    for (const t of tables.map((r) => String(r.table_name))) {
      if (t.startsWith('_tributary_')) continue;
      const [c] = await this.rows(rowCountsSql(`${quoteIdent(namespace)}.${quoteIdent(t)}`));
      out.push(tableCount(t, c));
    }
    return out;
  }

  async close(): Promise<void> {
    this.conn.closeSync();
    this.instance.closeSync();
  }

  private async rows(sql: string): Promise<Record<string, unknown>[]> {
    return (await this.conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  }

  private table(namespace: string, table: keyof typeof BOOKKEEPING_TABLES): string {
    return `${quoteIdent(namespace)}.${quoteIdent(BOOKKEEPING_TABLES[table])}`;
  }
}
