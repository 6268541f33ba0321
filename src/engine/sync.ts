/**
 * Running a sync: plan the streams, read each one's pages, batch them (capped by rows and bytes), and commit
 * every batch together with the state that covers it (ARCHITECTURE law 1). Streams run concurrently under
 * one rate budget per credential; one destination write runs at a time, and reading the next pages
 * overlaps with writing the current batch. Memory is bounded by streams × (prefetched pages + one batch).
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { ConfigError, isTributaryError, TributaryError } from '../errors.js';
import type { Destination, Row, StreamState, WriteMode } from '../destinations/destination.js';
import { type Logger, silentLogger } from '../util/log.js';
import { globalRedactor } from '../util/redact.js';
import { ColumnTracker } from './column-tracker.js';
import { Mutex } from '../util/mutex.js';
import { prefetch } from './prefetch.js';
import type { Source, StreamDescriptor, SyncMode } from './source.js';
import { parseStoredState, type StoredStreamState, toStreamState } from './stream-state.js';
import { newStreamSummary, type RunSummary, type StreamSummary } from './summary.js';

export interface SyncOptions {
  source: Source;
  /** An opened destination. */
  destination: Destination;
  /** Streams to sync (default: all). Unknown names are a ConfigError. */
  streams?: string[];
  /** Ignore incremental state and re-read everything (then soft-delete what was not seen). */
  fullRefresh?: boolean;
  /** For full refresh: upsert + soft-delete sweep (default), or build and atomically swap the table. */
  writeMode?: WriteMode;
  streamConcurrency?: number;
  batchRows?: number;
  batchBytes?: number;
  prefetchPages?: number;
  logger?: Logger;
  /** Called whenever a stream's counters change (throttle in the caller). */
  onProgress?: (streams: StreamSummary[]) => void;
  signal?: AbortSignal;
  runId?: string;
}

export const DEFAULTS = {
  streamConcurrency: 4,
  batchRows: 10_000,
  batchBytes: 16 * 1024 * 1024,
  prefetchPages: 4,
};

/** Validate stream names against the source before anything is opened or written. */
export function selectStreams(source: Source, names: string[] | undefined): StreamDescriptor[] {
  const all = source.streams();
  if (!names || names.length === 0) return all;
  const byName = new Map(all.map((s) => [s.name, s]));
  const unknown = names.filter((n) => !byName.has(n));
  if (unknown.length > 0) {
    throw new ConfigError(
      `unknown stream${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')} for ${source.name} (streams: ${all.map((s) => s.name).join(', ')})`,
      {
        code: 'TRB_UNKNOWN_STREAM',
        details: { unknown },
      },
    );
  }
  return names.map((n) => byName.get(n)!);
}

export async function runSync(opts: SyncOptions): Promise<RunSummary> {
  const { source, destination } = opts;
  const logger = opts.logger ?? silentLogger;
  const selected = selectStreams(source, opts.streams);
  const runId = opts.runId ?? randomUUID();
  const startedAt = new Date();
  const states = await destination.readStates();
  const writeLock = new Mutex();
  const abort = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, abort.signal]) : abort.signal;
  // Every in-flight request and budget wait listens on this signal; dozens at once are expected.
  setMaxListeners(0, signal);
  const summaries = selected.map((s) =>
    newStreamSummary(
      s.name,
      opts.fullRefresh || !s.supportedSyncModes.includes('incremental') ? 'full_refresh' : 'incremental',
    ),
  );
  const progress = () => opts.onProgress?.(summaries);

  await destination.recordRun({ runId, connector: source.name, startedAt, status: 'running' });
  logger.info(
    {
      runId,
      connector: source.name,
      destination: destination.description,
      streams: selected.map((s) => s.name),
    },
    'sync started',
  );

  let fatal: TributaryError | undefined;
  const queue = selected.map((s, i) => ({ stream: s, summary: summaries[i]! }));
  const workers = Array.from(
    { length: Math.min(opts.streamConcurrency ?? DEFAULTS.streamConcurrency, queue.length) },
    async () => {
      for (;;) {
        const job = queue.shift();
        if (!job) return;
        if (signal.aborted) {
          job.summary.status = 'skipped';
          continue;
        }
        try {
          await syncStream(job.stream, job.summary, states[job.stream.name]);
          job.summary.status = 'succeeded';
        } catch (err) {
          const e = toTributaryError(err);
          job.summary.status = 'failed';
          job.summary.error = { code: e.code, message: globalRedactor.redact(e.message) };
          logger.error(
            { stream: job.stream.name, code: e.code, err: globalRedactor.redact(e.message) },
            'stream failed',
          );
          // Credentials, config and destination failures doom every stream: stop the rest at once.
          if (!e.code.startsWith('TRB_SOURCE_') && e.code !== 'TRB_RATE_LIMITED') {
            fatal ??= e;
            abort.abort(e);
          }
        } finally {
          job.summary.endedAt = Date.now();
          job.summary.metrics = { ...source.metrics(job.stream.name) };
          progress();
        }
      }
    },
  );
  await Promise.all(workers);

  const endedAt = new Date();
  const failed = summaries.filter((s) => s.status === 'failed');
  const firstError = fatal
    ? { code: fatal.code, message: globalRedactor.redact(fatal.message) }
    : failed[0]?.error;
  const run: RunSummary = {
    runId,
    connector: source.name,
    destination: destination.description,
    status: failed.length === 0 && !fatal ? 'succeeded' : 'failed',
    startedAt: startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    durationMs: endedAt.getTime() - startedAt.getTime(),
    streams: summaries,
    error: firstError,
  };
  try {
    await destination.recordRun({
      runId,
      connector: source.name,
      startedAt,
      endedAt,
      status: run.status,
      recordsWritten: summaries.reduce((a, s) => a + s.upserts, 0),
      recordsDeleted: summaries.reduce((a, s) => a + s.softDeletes, 0),
      error: run.error ? `[${run.error.code}] ${run.error.message}` : undefined,
      summary: summaries.map((s) => ({
        stream: s.stream,
        status: s.status,
        upserts: s.upserts,
        soft_deletes: s.softDeletes,
        pages: s.pages,
        requests: s.metrics.requests,
        // Per stream, so `tributary status` can say which stream a failed run's error belongs to.
        ...(s.error ? { error: globalRedactor.redact(`[${s.error.code}] ${s.error.message}`) } : {}),
      })),
    });
  } catch (err) {
    logger.warn({ err: globalRedactor.redact(String(err)) }, 'could not record the run in _tributary_runs');
  }
  logger.info({ runId, status: run.status, durationMs: run.durationMs }, 'sync finished');
  return run;

  async function syncStream(
    stream: StreamDescriptor,
    summary: StreamSummary,
    rawState: StreamState | undefined,
  ): Promise<void> {
    summary.status = 'running';
    summary.startedAt = Date.now();
    const mode = summary.mode as SyncMode;
    const writeMode: WriteMode = mode === 'full_refresh' ? (opts.writeMode ?? 'upsert') : 'upsert';
    const stored = parseStoredState(rawState);
    const { resuming, sourceState, alreadyRead } = planStreamRead(stored, mode, writeMode);
    summary.resumed = resuming;
    const pass =
      mode === 'full_refresh' ? (resuming && stored?.pass ? stored.pass : randomUUID()) : undefined;
    const tracker = new ColumnTracker(stream.name, stream.primaryKey, stream.declaredColumns);
    const stateFor = (source: Record<string, unknown>, complete: boolean): StoredStreamState => ({
      version: 1,
      mode,
      source,
      pass,
      complete,
      writeMode,
    });
    logger.info({ stream: stream.name, mode, writeMode, resumed: resuming }, 'stream started');

    let rows: Row[] = [];
    let bytes = 0;
    let lastCheckpoint: Record<string, unknown> | undefined = resuming ? stored?.source : undefined;
    // One write in flight per stream, overlapping with reading the next batch: commits stay in order (each
    // waits for the one before), and memory stays at two batches per stream.
    let inflight: Promise<void> | undefined;
    let flushes = 0;
    const flush = async (complete: boolean) => {
      const state = toStreamState(stateFor(lastCheckpoint ?? {}, complete));
      const batchRows = rows;
      const table = tracker.spec();
      rows = [];
      bytes = 0;
      if (inflight) await inflight;
      flushes++;
      inflight = writeLock
        .run(() =>
          destination.write({
            runId,
            stream: stream.name,
            table,
            rows: batchRows,
            state,
            syncedAt: new Date(),
            passId: pass,
            mode: writeMode,
            skipUnchangedBy:
              mode === 'full_refresh' && writeMode === 'upsert' ? stream.unchangedField : undefined,
          }),
        )
        .then((result) => {
          summary.upserts += result.rowsWritten;
          summary.unchanged += result.rowsUnchanged ?? 0;
          summary.batches++;
          // A table's creation is reported on its own: on a first run it is not a change of anything.
          const created = result.schemaChanges.filter((c) => c.kind === 'create_table').length;
          summary.tablesCreated += created;
          summary.schemaChanges += result.schemaChanges.length - created;
          progress();
        });
      // A failure surfaces at the next await of `inflight`; this only keeps it from being "unhandled".
      inflight.catch(() => undefined);
    };

    try {
      if (!alreadyRead) {
        const pages = source.read(stream.name, { syncMode: mode, state: sourceState, signal });
        for await (const page of prefetch(pages, opts.prefetchPages ?? DEFAULTS.prefetchPages)) {
          for (const r of page.records) rows.push(tracker.toRow(r));
          bytes += page.bytes;
          summary.records += page.records.length;
          summary.pages++;
          summary.metrics = { ...source.metrics(stream.name) };
          lastCheckpoint = page.checkpoint;
          const last = page.checkpoint.in_progress === false;
          if (
            rows.length >= (opts.batchRows ?? DEFAULTS.batchRows) ||
            bytes >= (opts.batchBytes ?? DEFAULTS.batchBytes) ||
            last
          ) {
            await flush(mode === 'incremental' && last);
          } else {
            progress();
          }
        }
        if (rows.length > 0 || flushes === 0) await flush(mode === 'incremental');
      }
      if (inflight) await inflight;
    } finally {
      // Never leave a write running behind a failed read: the run's bookkeeping and close come after it.
      if (inflight) await inflight.catch(() => undefined);
    }

    if (mode === 'full_refresh') {
      const final = toStreamState(stateFor({ ...(lastCheckpoint ?? {}), in_progress: false }, true));
      if (writeMode === 'replace') {
        await writeLock.run(() => destination.finishReplace(stream.name, tracker.spec(), final));
      } else {
        summary.softDeletes += await writeLock.run(() => destination.sweepDeleted(stream.name, pass!, final));
      }
    }
    logger.info(
      {
        stream: stream.name,
        records: summary.records,
        pages: summary.pages,
        softDeletes: summary.softDeletes,
      },
      'stream finished',
    );
  }
}

/** Where a stream's read starts, given its stored state. Shared by runSync and the Airbyte source runner. */
export interface StreamReadPlan {
  /** The stored pass (or incremental read) was interrupted and continues from its checkpoint. */
  resuming: boolean;
  /** The state handed to `Source.read`. */
  sourceState: Record<string, unknown> | undefined;
  /** A full-refresh pass that had read everything but crashed before its sweep only needs the sweep. */
  alreadyRead: boolean;
}

export function planStreamRead(
  stored: StoredStreamState | undefined,
  mode: SyncMode,
  writeMode: WriteMode,
): StreamReadPlan {
  const resuming =
    !!stored && !stored.complete && stored.mode === mode && (stored.writeMode ?? 'upsert') === writeMode;
  // Incremental reads keep the committed cursor; a full refresh starts over unless it is resuming.
  const sourceState =
    resuming || mode === 'incremental'
      ? stored?.source
      : stored
        ? { ...stored.source, in_progress: false }
        : undefined;
  const alreadyRead = resuming && mode === 'full_refresh' && stored?.source.in_progress === false;
  return { resuming, sourceState, alreadyRead };
}

export function toTributaryError(err: unknown): TributaryError {
  if (isTributaryError(err)) return err;
  if (
    err instanceof Error &&
    err.name === 'AbortError' &&
    isTributaryError((err as { cause?: unknown }).cause)
  ) {
    return (err as { cause: TributaryError }).cause;
  }
  return new TributaryError(
    'TRB_INTERNAL',
    `unexpected error: ${err instanceof Error ? err.message : String(err)}`,
    { cause: err },
  );
}
