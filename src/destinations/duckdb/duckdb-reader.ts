/**
 * Read-only access to a DuckDB file for `runs`, `status` and `state show`: the file is opened with
 * `access_mode = READ_ONLY`, so reading never creates a file, a schema or a table, and never blocks on or
 * changes what a sync wrote. A missing file is refused before DuckDB is asked (DuckDB would say less).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { ConfigError, DestinationError } from '../../errors.js';
import { BOOKKEEPING_TABLES } from '../destination.js';
import { SqlReader } from '../sql-reader.js';
import { quoteIdent, quoteLiteral } from './duckdb-sql.js';

export class DuckDbReader extends SqlReader {
  readonly description: string;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    path: string,
  ) {
    super();
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

  protected async streamTables(namespace: string): Promise<string[]> {
    const tables = await this.rows(
      `SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() ` +
        `AND table_schema = ${quoteLiteral(namespace)} AND table_type = 'BASE TABLE' ORDER BY table_name`,
    );
    return tables.map((r) => String(r.table_name)).filter((t) => !t.startsWith('_tributary_'));
  }

  async close(): Promise<void> {
    this.conn.closeSync();
    this.instance.closeSync();
  }

  /**
   * Any query, read-only (the file is opened READ_ONLY, so a write fails in DuckDB): `tributary sql`.
   * Column names in order, and each row's values as text (JSON for nested values).
   */
  async query(sql: string): Promise<{ columns: string[]; rows: string[][] }> {
    let reader: Awaited<ReturnType<DuckDBConnection['runAndReadAll']>>;
    try {
      reader = await this.conn.runAndReadAll(sql);
    } catch (err) {
      // The query is the user's to fix (a typo, a write on a read-only file): a usage error.
      const first = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
      // DuckDB names the catalog after the file: shop.duckdb with a schema "shop" makes `shop.t` ambiguous.
      const hint = /Ambiguous reference to catalog or schema/.test(first)
        ? ' (the file is named like the schema: write catalog.schema.table, as the message says)'
        : '';
      throw new ConfigError(`query on ${this.description} failed: ${first}${hint}`, {
        code: 'TRB_USAGE',
        cause: err,
      });
    }
    const text = (v: unknown): string =>
      v === null || v === undefined
        ? ''
        : typeof v === 'string'
          ? v
          : typeof v === 'object' && !(v instanceof Date)
            ? JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))
            : v instanceof Date
              ? v.toISOString()
              : String(v);
    return {
      columns: reader.columnNames(),
      rows: (reader.getRowsJS() as unknown[][]).map((r) => r.map(text)),
    };
  }

  protected async rows(sql: string): Promise<Record<string, unknown>[]> {
    return (await this.conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  }

  protected qualify(namespace: string, table: string): string {
    return `${quoteIdent(namespace)}.${quoteIdent(table)}`;
  }

  protected asText(expr: string): string {
    return `CAST(${expr} AS VARCHAR)`;
  }
}
