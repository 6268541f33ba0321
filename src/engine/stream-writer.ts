/**
 * One stream's writes, for every entry point (`runSync` and the Airbyte loader): rows are batched up to a cap
 * by rows and by bytes, and each batch is committed together with the state that covers it in ONE
 * `Destination.write` (docs/architecture.md law 1). The end of a full-refresh pass is proven (law 7, when the
 * caller can give a proof) and then swept or swapped in.
 *
 * The caller decides when a batch is due (`full`, or its own reasons: a last page, a stream's completion) and
 * what state covers the rows it adds; the writer decides how they reach the destination.
 */
import type {
  Destination,
  Row,
  StreamState,
  TableSpec,
  WriteMode,
  WriteResult,
} from '../destinations/destination.js';
import { TributaryError } from '../errors.js';
import { type Logger, silentLogger } from '../util/log.js';
import { Mutex } from '../util/mutex.js';
import { type PassProof, provePass } from './pass-proof.js';

export const BATCH_DEFAULTS = {
  batchRows: 10_000,
  batchBytes: 16 * 1024 * 1024,
};

export interface StreamWriterOptions {
  destination: Destination;
  runId: string;
  stream: string;
  /** The table as the rows added so far need it (read at each commit). */
  table: () => TableSpec;
  mode: WriteMode;
  /** Full-refresh pass (and every replace pass): stamped on each row; the sweep and the proof count by it. */
  passId?: string;
  /** Client-side incremental (`WriteBatch.skipUnchangedBy`); batches only, never repairs. */
  skipUnchangedBy?: string;
  /** Caps of one batch (defaults: BATCH_DEFAULTS). */
  batchRows?: number;
  batchBytes?: number;
  /**
   * Keep one write in flight while the caller goes on (it reads the next batch meanwhile): `commit` returns
   * once the write before is done, and a failure surfaces at the next `commit` or `settle`. Without, `commit`
   * returns once its own write committed, and a failed batch stays buffered (a later commit retries it).
   */
  overlap?: boolean;
  /** Every destination call runs under it: one transaction at a time across the streams sharing it. */
  lock?: Mutex;
  /** After each committed write, in commit order. */
  onCommit?: (commit: Commit) => void | Promise<void>;
  logger?: Logger;
}

export interface Commit {
  result: WriteResult;
  /** Rows and bytes the caller added for this batch (repairs: bytes 0). */
  rows: number;
  bytes: number;
  state: StreamState;
  /** Records the end-of-pass proof found still existing and wrote into the pass (not a batch). */
  repair: boolean;
}

/** How a pass ends (see `StreamWriter.finish`). */
export interface PassEnd {
  /** The stream's state once the pass is complete: committed with the sweep or the swap. */
  state: StreamState;
  /** Full refresh from an API: prove the pass before removing anything. */
  proof?: PassProof & {
    /** The state repairs are committed with: the pass has read everything and its count is proven. */
    repairState: StreamState;
  };
}

export class StreamWriter {
  private readonly o: StreamWriterOptions;
  private readonly lock: Mutex;
  private readonly batchRows: number;
  private readonly batchBytes: number;
  private rows: Row[] = [];
  private bytes = 0;
  /** The state covering the buffered rows; undefined when nothing was added since the last commit. */
  private state: StreamState | undefined;
  private inflight: Promise<void> | undefined;
  private started = 0;

  constructor(o: StreamWriterOptions) {
    this.o = o;
    this.lock = o.lock ?? new Mutex();
    this.batchRows = o.batchRows ?? BATCH_DEFAULTS.batchRows;
    this.batchBytes = o.batchBytes ?? BATCH_DEFAULTS.batchBytes;
  }

  /** Buffer rows that `state` covers (the stream's state once they, and all before them, are committed). */
  add(rows: readonly Row[], bytes: number, state: StreamState): void {
    for (const r of rows) this.rows.push(r);
    this.bytes += bytes;
    this.state = state;
  }

  /** The buffered batch reached its cap of rows or of bytes. */
  get full(): boolean {
    return this.rows.length >= this.batchRows || this.bytes >= this.batchBytes;
  }

  get bufferedRows(): number {
    return this.rows.length;
  }

  get bufferedBytes(): number {
    return this.bytes;
  }

  /** Batches committed or in flight so far. */
  get batches(): number {
    return this.started;
  }

  /**
   * Commit the buffered rows with the newest state added, or with `state` when given (also with no rows: a
   * state alone). Nothing to commit (no rows, no state since the last commit, none given): nothing happens.
   */
  async commit(state?: StreamState): Promise<void> {
    const covering = state ?? this.state;
    if (covering === undefined) return;
    const rows = this.rows;
    const bytes = this.bytes;
    const table = this.o.table();
    if (!this.o.overlap) {
      this.started++;
      const result = await this.write(rows, covering, table, false);
      // Only now: a batch whose write failed stays buffered for the caller to retry or drop.
      this.clear();
      await this.o.onCommit?.({ result, rows: rows.length, bytes, state: covering, repair: false });
      return;
    }
    this.clear();
    if (this.inflight) await this.inflight;
    this.started++;
    this.inflight = this.write(rows, covering, table, false).then((result) =>
      this.o.onCommit?.({ result, rows: rows.length, bytes, state: covering, repair: false }),
    );
    // A failure surfaces at the next await of `inflight`; this only keeps it from being "unhandled".
    this.inflight.catch(() => undefined);
  }

  /** Wait for the write in flight (overlap mode); its failure surfaces here. */
  async settle(): Promise<void> {
    if (this.inflight) await this.inflight;
  }

  /** Drop what is buffered (it was never committed). Returns the rows dropped. */
  discard(): number {
    const n = this.rows.length;
    this.clear();
    return n;
  }

  /**
   * The end of a full-refresh or replace pass, once every batch is committed: prove it (when `end.proof`),
   * then swap the staged table in (replace) or mark the rows the pass did not see as deleted (upsert), with
   * `end.state` in the same transaction. Returns how many rows were newly marked deleted.
   */
  async finish(end: PassEnd): Promise<number> {
    await this.settle();
    const { destination, stream, mode, passId } = this.o;
    if (end.proof) {
      if (passId === undefined) throw noPass(stream, 'proven');
      const { repairState, ...proof } = end.proof;
      await provePass(
        {
          stream,
          mode,
          passId,
          primaryKey: this.o.table().primaryKey,
          countPassRows: () => this.lock.run(() => destination.countPassRows(stream, passId, mode)),
          deletionCandidates: (limit) =>
            this.lock.run(() =>
              destination.deletionCandidates(stream, passId, mode, this.o.table().primaryKey, limit),
            ),
          writeRepairs: async (rows) => {
            const result = await this.write(rows, repairState, this.o.table(), true);
            await this.o.onCommit?.({
              result,
              rows: rows.length,
              bytes: 0,
              state: repairState,
              repair: true,
            });
          },
        },
        proof,
        this.o.logger ?? silentLogger,
      );
    }
    if (mode === 'replace') {
      await this.lock.run(() => destination.finishReplace(stream, this.o.table(), end.state));
      return 0;
    }
    if (passId === undefined) throw noPass(stream, 'swept');
    return this.lock.run(() => destination.sweepDeleted(stream, passId, end.state));
  }

  private clear(): void {
    this.rows = [];
    this.bytes = 0;
    this.state = undefined;
  }

  private write(rows: Row[], state: StreamState, table: TableSpec, repair: boolean): Promise<WriteResult> {
    const { destination, runId, stream, mode, passId, skipUnchangedBy } = this.o;
    return this.lock.run(() =>
      destination.write({
        runId,
        stream,
        table,
        rows,
        state,
        syncedAt: new Date(),
        passId,
        mode,
        ...(repair || skipUnchangedBy === undefined ? {} : { skipUnchangedBy }),
      }),
    );
  }
}

/** A caller's bug: only a pass (full refresh, or replace) can be proven or swept. */
function noPass(stream: string, what: string): TributaryError {
  return new TributaryError('TRB_INTERNAL', `stream "${stream}": a pass without a pass id cannot be ${what}`);
}
