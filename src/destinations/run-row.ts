/** Reading a `_tributary_runs` row back, shared by the DuckDB and PostgreSQL readers. */
import type { RunRecord } from './destination.js';

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
  };
}
