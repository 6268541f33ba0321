/**
 * Where each stream of a connection stands, for the dashboard: rows, cursor or pass, complete or resuming,
 * last error, soft deletes and schema changes. The worker stores it in Redis when a run ends (read from the
 * destination while it still holds it), so it is there while another sync holds a DuckDB file's lock.
 */
import type { Redis } from 'ioredis';
import type { StoredStateRow, TableCount } from '../destinations/destination.js';
import { globalRedactor } from '../util/redact.js';
import type { ClusterKeys } from './keys.js';
import type { RunRecord } from './run-history.js';

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

/** What a worker read from the destination after a run (absent when it could not: locked, unreachable). */
export interface DestinationSnapshot {
  states: StoredStateRow[];
  counts: TableCount[];
}

/** Where a stream's next sync starts, in words (the same words as `tributary state show`). */
export function describeState(state: Record<string, unknown> | undefined): {
  position: string;
  cursor?: string;
} {
  if (state === undefined) return { position: 'no state: the next sync starts from the beginning' };
  const source = (state.source ?? {}) as Record<string, unknown>;
  if (state.mode === 'incremental') {
    const cursor = source.cursor === undefined ? undefined : String(source.cursor);
    return {
      position: cursor === undefined ? 'no cursor yet' : `cursor ${cursor}`,
      ...(cursor ? { cursor } : {}),
    };
  }
  if (typeof state.pass === 'string') return { position: `pass ${state.pass.slice(0, 8)}` };
  return { position: JSON.stringify(source).slice(0, 200) };
}

/**
 * Fold a finished run (and, when the worker could read it, the destination's states and row counts) into the
 * connection's stream rows. Streams the run did not read keep their row; a stream's last error stays until a
 * run reads it successfully.
 */
export async function recordStreamStatus(
  redis: Redis,
  keys: ClusterKeys,
  run: RunRecord,
  snapshot?: DestinationSnapshot,
): Promise<void> {
  const key = keys.streams(run.connection);
  const current = await redis.hgetall(key);
  const rows = new Map<string, StreamStatus>();
  for (const [stream, json] of Object.entries(current)) rows.set(stream, JSON.parse(json) as StreamStatus);
  const row = (stream: string): StreamStatus =>
    rows.get(stream) ?? {
      stream,
      position: describeState(undefined).position,
      softDeletes: 0,
      schemaChanges: 0,
      tablesCreated: 0,
    };
  for (const s of run.streams) {
    const r = row(s.stream);
    r.lastRunId = run.runId;
    r.lastStatus = s.status;
    r.lastRunAt = run.endedAt;
    r.softDeletes = s.softDeletes;
    r.schemaChanges = s.schemaChanges;
    r.tablesCreated = s.tablesCreated;
    r.mode = s.mode;
    if (s.error) r.lastError = { ...s.error, runId: run.runId, at: run.endedAt };
    else if (s.status === 'succeeded') delete r.lastError;
    rows.set(s.stream, r);
  }
  if (snapshot) {
    const states = new Map(snapshot.states.map((x) => [x.stream, x]));
    const counts = new Map(snapshot.counts.map((x) => [x.table, x]));
    const names = new Set([...rows.keys(), ...states.keys(), ...counts.keys()]);
    for (const stream of names) {
      const r = row(stream);
      const st = states.get(stream);
      const { position, cursor } = describeState(st?.state as Record<string, unknown> | undefined);
      r.position = globalRedactor.redact(position);
      if (cursor !== undefined) r.cursor = globalRedactor.redact(cursor);
      else delete r.cursor;
      if (st) {
        r.complete = st.state.complete === true;
        r.stateUpdatedAt = st.updatedAt.toISOString();
        if (typeof st.state.mode === 'string') r.mode = st.state.mode;
      } else {
        delete r.complete;
        delete r.stateUpdatedAt;
      }
      const c = counts.get(stream);
      if (c) {
        r.rows = c.rows;
        r.deletedRows = c.deleted;
      }
      rows.set(stream, r);
    }
  }
  if (rows.size === 0) return;
  await redis.hset(key, Object.fromEntries([...rows].map(([k, v]) => [k, JSON.stringify(v)])));
}

/** Every stream of a connection the workers know of, sorted by name. */
export async function readStreamStatus(
  redis: Redis,
  keys: ClusterKeys,
  connection: string,
): Promise<StreamStatus[]> {
  const all = await redis.hgetall(keys.streams(connection));
  return Object.values(all)
    .map((j) => JSON.parse(j) as StreamStatus)
    .sort((a, b) => a.stream.localeCompare(b.stream));
}
