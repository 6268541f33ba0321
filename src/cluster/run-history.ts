/**
 * Run history in Redis, for the dashboard and `status`: every run end (success, failure, cancel) appends a
 * RunRecord to a capped list per connection, and the run's log lines (redacted) to a capped list per run
 * with a TTL. `_tributary_runs` in the destination stays the durable record; see docs/scale-out.md, "Where
 * the dashboard's history lives", for why the dashboard reads Redis.
 */
import type { Redis } from 'ioredis';
import type { StreamSummary } from '../engine/summary.js';
import type { ClusterKeys } from './keys.js';
import type { LastRun } from './sync-job.js';

/** A run's error: code, redacted message, what to do, and the exit code the CLI would end with. */
export interface RunError {
  code: string;
  message: string;
  hint?: string;
  exitCode: number;
}

/**
 * One stream's row of the run summary: the same numbers as the CLI's summary table (engine/summary.ts
 * formatSummary), every field already computed.
 */
export interface RunStreamRow {
  stream: string;
  mode: string;
  resumed: boolean;
  status: StreamSummary['status'];
  records: number;
  upserts: number;
  unchanged: number;
  softDeletes: number;
  pages: number;
  requests: number;
  retries: number;
  http429: number;
  budgetWaitMs: number;
  tablesCreated: number;
  schemaChanges: number;
  durationMs: number;
  error?: { code: string; message: string };
  warnings: StreamSummary['warnings'];
}

/** What a job did: a sync, or a reset of some streams' state (no sync). */
export type RunKind = 'sync' | 'reset-state';

export interface RunRecord extends Omit<LastRun, 'error'> {
  connection: string;
  /** Every record has one (a run that failed before the engine started gets one from the worker). */
  runId: string;
  kind: RunKind;
  /** The job asked for a full refresh (of `requestedStreams`, or of every stream). */
  fullRefresh?: boolean;
  /** The streams the job named (--streams); absent: the connection's streams. */
  requestedStreams?: string[];
  records: number;
  error?: RunError;
  streams: RunStreamRow[];
}

/** One log line of a run: pino's JSON object, redacted before it was stored. */
export type RunLogLine = Record<string, unknown> & { level: string; time: string; msg?: string };

/** The latest runs of a connection, newest first (at most `limit`; Redis keeps the last 100). */
export async function readRuns(
  _redis: Redis,
  _keys: ClusterKeys,
  _connection: string,
  _limit = 50,
): Promise<RunRecord[]> {
  throw new Error('not implemented');
}

/** One run by its id, or undefined when Redis no longer has it. */
export async function readRun(
  _redis: Redis,
  _keys: ClusterKeys,
  _runId: string,
): Promise<RunRecord | undefined> {
  throw new Error('not implemented');
}

/** A run's log lines, oldest first (the last 2,000; kept 7 days). Empty when expired or unknown. */
export async function readRunLog(_redis: Redis, _keys: ClusterKeys, _runId: string): Promise<RunLogLine[]> {
  throw new Error('not implemented');
}
