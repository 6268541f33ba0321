/**
 * Read-only access to what tributary stored, the part every SQL database shares: a namespace's state rows,
 * its latest runs, and its stream tables' row counts. A database's reader supplies how to run a query,
 * qualify a name, read JSON as text, and list namespaces and tables (information_schema in DuckDB,
 * pg_class in PostgreSQL).
 */
import { DestinationError } from '../errors.js';
import {
  BOOKKEEPING_TABLES,
  type DestinationReader,
  type RunRecord,
  type StoredStateRow,
  type StreamState,
  SYSTEM_COLUMNS,
  type TableCount,
} from './destination.js';

export abstract class SqlReader implements DestinationReader {
  abstract readonly description: string;
  abstract namespaces(): Promise<string[]>;
  abstract close(): Promise<void>;

  /** Run a SELECT; rows as plain objects with the driver's values. */
  protected abstract rows(sql: string): Promise<Record<string, unknown>[]>;
  /** `namespace.table`, quoted. */
  protected abstract qualify(namespace: string, table: string): string;
  /** An expression's value as text (JSON columns come back as text, whatever the driver does with JSON). */
  protected abstract asText(expr: string): string;
  /** The stream tables of a namespace (bookkeeping and staging tables left out), sorted. */
  protected abstract streamTables(namespace: string): Promise<string[]>;

  /** A failed read, as the readers of server databases report it: the first line of the driver's message. */
  protected readFailed(err: unknown): DestinationError {
    return new DestinationError(
      'TRB_DEST_CONNECTION',
      `reading ${this.description} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      { cause: err },
    );
  }

  async readStateRows(namespace: string): Promise<StoredStateRow[]> {
    const rows = await this.rows(
      `SELECT stream, ${this.asText('state')} AS state, updated_at FROM ${this.qualify(namespace, BOOKKEEPING_TABLES.state)} ORDER BY stream`,
    );
    return rows.map((r) => ({
      stream: String(r.stream),
      state: JSON.parse(String(r.state)) as StreamState,
      updatedAt: r.updated_at as Date,
    }));
  }

  /** The `limit` newest runs; `summary` comes back as JSON text. */
  async readRuns(namespace: string, limit: number): Promise<RunRecord[]> {
    // `*` for the columns a newer tributary added (a cluster run's trigger, attempt, worker): a reader
    // never alters a table, so an older one simply lacks them.
    const rows = await this.rows(
      `SELECT *, ${this.asText('summary')} AS summary_text FROM ${this.qualify(namespace, BOOKKEEPING_TABLES.runs)} ` +
        `ORDER BY started_at DESC LIMIT ${Math.max(0, Math.floor(limit))}`,
    );
    return rows.map(({ summary_text, ...r }) => runRecord({ ...r, summary: summary_text }));
  }

  async tableCounts(namespace: string): Promise<TableCount[]> {
    const out: TableCount[] = [];
    for (const table of await this.streamTables(namespace)) {
      const [c] = await this.rows(
        `SELECT count(*) AS n, count(*) FILTER (WHERE "${SYSTEM_COLUMNS.deleted}") AS d FROM ${this.qualify(namespace, table)}`,
      );
      // Counts may come back as bigints or numeric text.
      out.push({ table, rows: Number(c?.n ?? 0), deleted: Number(c?.d ?? 0) });
    }
    return out;
  }
}

/** A `_tributary_runs` row (driver values: Dates, numbers or bigints, JSON as text or parsed) as a RunRecord. */
export function runRecord(r: Record<string, unknown>): RunRecord {
  const summary = r.summary;
  return {
    runId: String(r.run_id),
    connector: String(r.connector),
    startedAt: new Date(r.started_at as Date),
    endedAt: r.ended_at == null ? undefined : new Date(r.ended_at as Date),
    status: String(r.status) as RunRecord['status'],
    recordsWritten: r.records_written == null ? undefined : Number(r.records_written),
    recordsDeleted: r.records_deleted == null ? undefined : Number(r.records_deleted),
    error: r.error == null ? undefined : String(r.error),
    summary: typeof summary === 'string' ? JSON.parse(summary) : (summary ?? undefined),
    ...(r.trigger == null ? {} : { trigger: String(r.trigger) as RunRecord['trigger'] }),
    ...(r.attempt == null ? {} : { attempt: Number(r.attempt) }),
    ...(r.worker == null ? {} : { worker: String(r.worker) }),
  };
}
