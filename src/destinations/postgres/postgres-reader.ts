/**
 * Read-only access to a PostgreSQL database for `runs`, `status` and `state show`: one plain connection,
 * SELECTs only, inside a READ ONLY transaction, so reading never creates a schema or a table and takes no
 * lock a sync would wait on.
 */
import pg from 'pg';
import { BOOKKEEPING_TABLES } from '../destination.js';
import { SqlReader } from '../sql-reader.js';
import { connectionSettings } from './postgres-connection.js';
import { mapOpenError } from './postgres-errors.js';
import { qualify } from './postgres-sql.js';

export class PostgresReader extends SqlReader {
  readonly description: string;

  private constructor(
    private readonly client: pg.Client,
    description: string,
  ) {
    super();
    this.description = description;
  }

  static async open(url: string, password: string | undefined): Promise<PostgresReader> {
    const {
      client: settings,
      target,
      redactor,
    } = connectionSettings(url, {
      schema: 'public',
      password,
      applicationName: 'tributary (read-only)',
      connectTimeoutMs: 10_000,
    });
    const client = new pg.Client(settings);
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
    } catch (err) {
      await client.end().catch(() => undefined);
      throw mapOpenError(err, target, redactor);
    }
    return new PostgresReader(client, target.description.replace(/\?schema=.*$/, ''));
  }

  async namespaces(): Promise<string[]> {
    const res = await this.query<{ s: string }>(
      `SELECT n.nspname AS s FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relname = $1 AND c.relkind IN ('r', 'p') ORDER BY 1`,
      [BOOKKEEPING_TABLES.state],
    );
    return res.map((r) => r.s);
  }

  protected async streamTables(namespace: string): Promise<string[]> {
    const tables = await this.query<{ t: string }>(
      `SELECT c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname NOT LIKE '\\_tributary\\_%' ORDER BY 1`,
      [namespace],
    );
    return tables.map((r) => r.t);
  }

  protected rows(sql: string): Promise<Record<string, unknown>[]> {
    return this.query(sql);
  }

  protected qualify(namespace: string, table: string): string {
    return qualify(namespace, table);
  }

  protected asText(expr: string): string {
    return `(${expr})::text`;
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }

  private async query<T extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    try {
      return (await this.client.query<T>(sql, params)).rows;
    } catch (err) {
      throw this.readFailed(err);
    }
  }
}
