/**
 * Read-only access to a PostgreSQL database for `runs`, `status` and `state show`: one plain connection,
 * SELECTs only, inside a READ ONLY transaction, so reading never creates a schema or a table and takes no
 * lock a sync would wait on.
 */
import pg from 'pg';
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
import { connectionSettings } from './postgres-connection.js';
import { mapOpenError } from './postgres-errors.js';
import { qualify } from './postgres-sql.js';

export class PostgresReader implements DestinationReader {
  readonly description: string;

  private constructor(
    private readonly client: pg.Client,
    description: string,
  ) {
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

  async readStateRows(namespace: string): Promise<StoredStateRow[]> {
    const rows = await this.query<{ stream: string; state: StreamState; updated_at: Date }>(
      `SELECT stream, state, updated_at FROM ${qualify(namespace, BOOKKEEPING_TABLES.state)} ORDER BY stream`,
    );
    return rows.map((r) => ({ stream: r.stream, state: r.state, updatedAt: r.updated_at }));
  }

  async readRuns(namespace: string, limit: number): Promise<RunRecord[]> {
    return (await this.query(latestRunsSql(qualify(namespace, BOOKKEEPING_TABLES.runs), limit))).map(
      runRecord,
    );
  }

  async tableCounts(namespace: string): Promise<TableCount[]> {
    const tables = await this.query<{ t: string }>(
      `SELECT c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname NOT LIKE '\\_tributary\\_%' ORDER BY 1`,
      [namespace],
    );
    const out: TableCount[] = [];
    for (const { t } of tables) {
      const [c] = await this.query(rowCountsSql(qualify(namespace, t)));
      out.push(tableCount(t, c));
    }
    return out;
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }

  private async query<T extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    try {
      return (await this.client.query<T>(sql, params)).rows;
    } catch (err) {
      throw new DestinationError(
        'TRB_DEST_CONNECTION',
        `reading ${this.description} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
        { cause: err },
      );
    }
  }
}
