/**
 * Read-only access to a MySQL/MariaDB server for `runs`, `status` and `state show`: one plain session in
 * READ ONLY transaction mode, SELECTs only, so reading never creates a database or a table and takes no
 * lock a sync would wait on. Namespaces are the databases that hold a `_tributary_state` table.
 */
import mysql from 'mysql2/promise';
import { DestinationError } from '../../errors.js';
import {
  BOOKKEEPING_TABLES,
  type DestinationReader,
  type RunRecord,
  type StoredStateRow,
  type StreamState,
  SYSTEM_COLUMNS,
  type TableCount,
} from '../destination.js';
import { tableCount } from '../reader-sql.js';
import { runRecord } from '../run-row.js';
import { connectionSettings, SESSION_SETUP } from './mysql-connection.js';
import { mapOpenError } from './mysql-errors.js';
import { mysqlIdentifier, quoteIdent } from './mysql-names.js';
import { quoteLiteral } from './mysql-sql.js';

export class MysqlReader implements DestinationReader {
  private constructor(
    private readonly conn: mysql.Connection,
    readonly description: string,
  ) {}

  static async open(url: string, password: string | undefined): Promise<MysqlReader> {
    const { pool, target, redactor } = connectionSettings(url, { schema: '', password });
    let conn: mysql.Connection | undefined;
    try {
      conn = await mysql.createConnection(pool);
      conn.on('error', () => undefined);
      await conn.query(SESSION_SETUP);
      await conn.query('SET SESSION TRANSACTION READ ONLY');
    } catch (err) {
      await conn?.end().catch(() => undefined);
      throw mapOpenError(err, target, redactor);
    }
    return new MysqlReader(conn, target.description.replace(/\?schema=.*$/, ''));
  }

  async namespaces(): Promise<string[]> {
    const rows = await this.query(
      `SELECT TABLE_SCHEMA AS s FROM information_schema.TABLES WHERE TABLE_NAME = ${quoteLiteral(BOOKKEEPING_TABLES.state)} ORDER BY 1`,
    );
    return rows.map((r) => String(r.s));
  }

  async readStateRows(namespace: string): Promise<StoredStateRow[]> {
    const rows = await this.query(
      `SELECT stream, state, updated_at FROM ${this.table(namespace, BOOKKEEPING_TABLES.state)} ORDER BY stream`,
    );
    return rows.map((r) => ({
      stream: String(r.stream),
      state: JSON.parse(String(r.state)) as StreamState,
      updatedAt: r.updated_at as Date,
    }));
  }

  async readRuns(namespace: string, limit: number): Promise<RunRecord[]> {
    const rows = await this.query(
      'SELECT run_id, connector, started_at, ended_at, status, records_written, records_deleted, error, summary ' +
        `FROM ${this.table(namespace, BOOKKEEPING_TABLES.runs)} ORDER BY started_at DESC LIMIT ${Math.max(0, Math.floor(limit))}`,
    );
    return rows.map(runRecord);
  }

  async tableCounts(namespace: string): Promise<TableCount[]> {
    const schema = mysqlIdentifier(namespace, 'schema').name;
    const tables = await this.query(
      `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${quoteLiteral(schema)} ` +
        `AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME NOT LIKE '\\\\_tributary\\\\_%' ORDER BY 1`,
    );
    const out: TableCount[] = [];
    for (const { t } of tables) {
      const [c] = await this.query(
        `SELECT count(*) AS n, COALESCE(SUM(${quoteIdent(SYSTEM_COLUMNS.deleted)}), 0) AS d FROM ${this.table(namespace, String(t))}`,
      );
      out.push(tableCount(String(t), c));
    }
    return out;
  }

  async close(): Promise<void> {
    await this.conn.end().catch(() => undefined);
  }

  private table(namespace: string, table: string): string {
    return `${quoteIdent(mysqlIdentifier(namespace, 'schema').name)}.${quoteIdent(table)}`;
  }

  private async query(sql: string): Promise<Record<string, unknown>[]> {
    try {
      return (await this.conn.query(sql))[0] as Record<string, unknown>[];
    } catch (err) {
      throw new DestinationError(
        'TRB_DEST_CONNECTION',
        `reading ${this.description} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
        { cause: err },
      );
    }
  }
}
