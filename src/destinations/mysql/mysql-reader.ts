/**
 * Read-only access to a MySQL/MariaDB server for `runs`, `status` and `state show`: one plain session in
 * READ ONLY transaction mode, SELECTs only, so reading never creates a database or a table and takes no
 * lock a sync would wait on. Namespaces are the databases that hold a `_tributary_state` table.
 */
import mysql from 'mysql2/promise';
import { BOOKKEEPING_TABLES, SYSTEM_COLUMNS, type TableCount } from '../destination.js';
import { SqlReader } from '../sql-reader.js';
import { connectionSettings, SESSION_SETUP } from './mysql-connection.js';
import { mapOpenError } from './mysql-errors.js';
import { mysqlIdentifier, quoteIdent } from './mysql-names.js';
import { quoteLiteral } from './mysql-sql.js';

export class MysqlReader extends SqlReader {
  private constructor(
    private readonly conn: mysql.Connection,
    readonly description: string,
  ) {
    super();
  }

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
    const rows = await this.rows(
      `SELECT TABLE_SCHEMA AS s FROM information_schema.TABLES WHERE TABLE_NAME = ${quoteLiteral(BOOKKEEPING_TABLES.state)} ORDER BY 1`,
    );
    return rows.map((r) => String(r.s));
  }

  /** MySQL has no `count(*) FILTER (…)`; BOOLEAN is a number, so the deleted rows are its sum. */
  override async tableCounts(namespace: string): Promise<TableCount[]> {
    const out: TableCount[] = [];
    for (const table of await this.streamTables(namespace)) {
      const [c] = await this.rows(
        `SELECT count(*) AS n, COALESCE(SUM(${quoteIdent(SYSTEM_COLUMNS.deleted)}), 0) AS d FROM ${this.qualify(namespace, table)}`,
      );
      out.push({ table, rows: Number(c?.n ?? 0), deleted: Number(c?.d ?? 0) });
    }
    return out;
  }

  async close(): Promise<void> {
    await this.conn.end().catch(() => undefined);
  }

  protected async streamTables(namespace: string): Promise<string[]> {
    const tables = await this.rows(
      `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${quoteLiteral(this.database(namespace))} ` +
        `AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME NOT LIKE '\\\\_tributary\\\\_%' ORDER BY 1`,
    );
    return tables.map((r) => String(r.t));
  }

  protected qualify(namespace: string, table: string): string {
    return `${quoteIdent(this.database(namespace))}.${quoteIdent(table)}`;
  }

  protected asText(expr: string): string {
    return `CAST(${expr} AS CHAR)`;
  }

  protected async rows(sql: string): Promise<Record<string, unknown>[]> {
    try {
      return (await this.conn.query(sql))[0] as Record<string, unknown>[];
    } catch (err) {
      throw this.readFailed(err);
    }
  }

  /** The database a namespace is stored as (a name MySQL cannot hold is mapped, as the destination maps it). */
  private database(namespace: string): string {
    return mysqlIdentifier(namespace, 'schema').name;
  }
}
