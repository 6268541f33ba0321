/**
 * Run history in Redis, for the dashboard and `status`: every run end (success, failure, cancel) appends a
 * RunRecord to a capped list per connection, and the run's log lines (redacted) to a capped list per run
 * with a TTL. `_tributary_runs` in the destination stays the durable record; see docs/scale-out.md, "Where
 * the dashboard's history lives", for why the dashboard reads Redis.
 */
import type { Redis } from 'ioredis';
import { durationOf, type RunSummary, type StreamSummary } from '../engine/summary.js';
import { exitCodeFor, type TributaryError } from '../errors.js';
import { globalRedactor } from '../util/redact.js';
import type { ClusterKeys } from './keys.js';
import { readRunLogLines } from './run-log.js';
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

/** Runs kept per connection (the newest). */
export const RUNS_KEPT = 100;
/** How long a run's record stays readable by its id (its connection's list keeps the last RUNS_KEPT). */
const RUN_TTL_S = 30 * 24 * 3600;

/** The summary table's row of one stream: formatSummary's numbers (engine/summary.ts), computed once. */
export function toRunStreamRow(s: StreamSummary): RunStreamRow {
  return {
    stream: s.stream,
    mode: s.mode,
    resumed: s.resumed,
    status: s.status,
    records: s.records,
    upserts: s.upserts,
    unchanged: s.unchanged,
    softDeletes: s.softDeletes,
    pages: s.pages,
    requests: s.metrics.requests,
    retries: s.metrics.retries,
    http429: s.metrics.http429,
    budgetWaitMs: s.metrics.budgetWaitMs,
    tablesCreated: s.tablesCreated,
    schemaChanges: s.schemaChanges,
    durationMs: durationOf(s),
    ...(s.error ? { error: { code: s.error.code, message: globalRedactor.redact(s.error.message) } } : {}),
    warnings: s.warnings.map((w) => ({ ...w, message: globalRedactor.redact(w.message) })),
  };
}

/** What to do about an error, by code: one line a person can act on (the message says what happened). */
const HINTS: Partial<Record<string, string>> = {
  TRB_AUTH: 'Check the credentials in the connection config (or the environment variables it names).',
  TRB_CONFIG_INVALID: 'Fix the connection config; `tributary connections validate` checks the file.',
  TRB_CONFIG_ENV: 'Set the environment variable the connection config names, on every worker.',
  TRB_CONNECTIONS_INVALID: 'Fix the connections file; `tributary connections validate` checks it.',
  TRB_UNKNOWN_STREAM: 'Use a stream the connector has (`tributary discover CONNECTOR` lists them).',
  TRB_RATE_LIMITED: 'The API kept answering 429: lower the request rate or wait; the next run resumes.',
  TRB_SOURCE_NETWORK: 'The API was unreachable; the job is retried, and the next run resumes.',
  TRB_SOURCE_TIMEOUT: 'The API did not answer in time; the job is retried, and the next run resumes.',
  TRB_SOURCE_HTTP: 'The API answered with an error; the job is retried, and the next run resumes.',
  TRB_DEST_OPEN: 'Check the destination address and that the database (or file) exists.',
  TRB_DEST_UNREACHABLE: 'Start the destination database or fix its address; the job is retried.',
  TRB_DEST_LOCKED: 'Another process holds the DuckDB file; the job waits for it.',
  TRB_NAMESPACE_OWNED: 'Another connection owns this schema: give this connection its own `namespace`.',
  TRB_CANCELLED: 'Cancelled on request; committed batches are kept and the next run resumes from them.',
  TRB_CONNECTION_PAUSED: 'Fix the cause, then resume the connection.',
  TRB_BUDGET_PARKED: 'The shared rate budget was busy; the job was parked and comes back by itself.',
  TRB_REDIS_UNREACHABLE: 'Start Redis or fix its address (--redis, TRIBUTARY_REDIS_URL, `redis:`).',
};

/** A run's error for the record: code, redacted message, hint, exit code. */
export function toRunError(err: Pick<TributaryError, 'code' | 'message'>): RunError {
  const hint = HINTS[err.code];
  return {
    code: err.code,
    message: globalRedactor.redact(err.message),
    ...(hint ? { hint } : {}),
    exitCode: exitCodeFor(err.code),
  };
}

/** The numbers of a run's summary a record keeps: its stream rows and its records (the upserts' total). */
export function summaryRows(run: RunSummary | undefined): Pick<RunRecord, 'streams' | 'records'> {
  const streams = (run?.streams ?? []).map(toRunStreamRow);
  return { streams, records: streams.reduce((a, s) => a + s.upserts, 0) };
}

/** Append a finished run to its connection's history (capped) and keep it readable by id. */
export async function appendRun(redis: Redis, keys: ClusterKeys, record: RunRecord): Promise<void> {
  // Everything in a record passed the redactor already; once more over the whole JSON costs little.
  const json = globalRedactor.redact(JSON.stringify(record));
  await redis
    .multi()
    .lpush(keys.runs(record.connection), json)
    .ltrim(keys.runs(record.connection), 0, RUNS_KEPT - 1)
    .set(keys.run(record.runId), json, 'EX', RUN_TTL_S)
    .exec();
}

/** The latest runs of a connection, newest first (at most `limit`; Redis keeps the last 100). */
export async function readRuns(
  redis: Redis,
  keys: ClusterKeys,
  connection: string,
  limit = 50,
): Promise<RunRecord[]> {
  const n = Math.max(1, Math.min(RUNS_KEPT, Math.floor(limit)));
  const raw = await redis.lrange(keys.runs(connection), 0, n - 1);
  return raw.map((r) => JSON.parse(r) as RunRecord);
}

/** One run by its id, or undefined when Redis no longer has it. */
export async function readRun(
  redis: Redis,
  keys: ClusterKeys,
  runId: string,
): Promise<RunRecord | undefined> {
  const raw = await redis.get(keys.run(runId));
  return raw === null ? undefined : (JSON.parse(raw) as RunRecord);
}

/** A run's log lines, oldest first (the last 2,000; kept 7 days). Empty when expired or unknown. */
export async function readRunLog(redis: Redis, keys: ClusterKeys, runId: string): Promise<RunLogLine[]> {
  return (await readRunLogLines(redis, keys, runId)) as RunLogLine[];
}
