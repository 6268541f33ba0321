/**
 * Where each stream of a connection stands, for the dashboard: rows, cursor or pass, complete or resuming,
 * last error, soft deletes and schema changes. The worker stores it in Redis when a run ends (read from the
 * destination while it still holds it), so it is there while another sync holds a DuckDB file's lock.
 */
import type { Redis } from 'ioredis';
import type { ClusterKeys } from './keys.js';

export interface StreamStatus {
  stream: string;
  /** Rows in the stream's table (soft-deleted rows included) after the last run; undefined if unknown. */
  rows?: number;
  /** Rows marked deleted in the table; undefined if unknown. */
  deletedRows?: number;
  mode?: string;
  /** Where the next sync starts, in words: "cursor 2024-05-01T00:00:00Z", "pass 1a2b3c4d". */
  position: string;
  /** The raw cursor value (incremental streams), when there is one. */
  cursor?: string;
  /** False: the last run stopped mid-stream and the next one resumes. */
  complete?: boolean;
  /** ISO time the state was last saved. */
  stateUpdatedAt?: string;
  /** The last run that read this stream: its id, status, and its soft deletes and schema changes. */
  lastRunId?: string;
  lastStatus?: string;
  lastError?: { code: string; message: string; runId: string; at: string };
  softDeletes: number;
  schemaChanges: number;
  tablesCreated: number;
  /** ISO time of the last run that read the stream. */
  lastRunAt?: string;
}

/** Every stream of a connection the workers know of, sorted by name. */
export async function readStreamStatus(
  _redis: Redis,
  _keys: ClusterKeys,
  _connection: string,
): Promise<StreamStatus[]> {
  throw new Error('not implemented');
}
