/**
 * The seam between sources and the engine. A source yields pages of already-transformed records, each with
 * the checkpoint that becomes the stream's state once the page is committed. The Airbyte adapter, the
 * engine and tests all consume this one interface.
 */
import type { ColumnType, StreamState } from '../destinations/destination.js';
import type { Logger } from '../util/log.js';

export type SyncMode = 'full_refresh' | 'incremental';

/** A record after the source's transforms: flat or nested JSON values keyed by output field name. */
export type SourceRecord = Record<string, unknown>;

export interface Page {
  records: SourceRecord[];
  /** Stream state once this page (and every page before it) is committed. */
  checkpoint: StreamState;
  /** Approximate size of the page's body in bytes, for batch caps and metrics. */
  bytes: number;
  /**
   * On the last page of a pass only (`checkpoint.in_progress === false`): how many distinct records the API
   * says the whole pass holds (its `count`/`total`), when it says. The engine proves a full-refresh pass
   * against it (the rows this pass stamped must number exactly this) before any sweep or swap.
   */
  expectedCount?: number;
}

export interface StreamDescriptor {
  name: string;
  primaryKey: string[];
  /** JSON Schema of an emitted record. */
  jsonSchema: Record<string, unknown>;
  /** Declared column types (after transforms), from the schema file. The engine infers the rest. */
  declaredColumns: Record<string, ColumnType>;
  /**
   * The stream has no schema file: every column, the primary key's included, is inferred from the records
   * (date-time strings become timestamps; see src/engine/schema-inference.ts).
   */
  inferSchema?: boolean;
  supportedSyncModes: SyncMode[];
  cursorField?: string;
  /** Whether a full refresh can resume mid-stream from its checkpoint. */
  resumable: boolean;
  /** Client-side incremental: a field whose unchanged value lets a full refresh skip rewriting the row. */
  unchangedField?: string;
  /**
   * What a resume of this stream depends on: the page size it requests and a fingerprint of its paging
   * configuration (path, params, page size, paginator, cursor). Stored with the state; a resume under a
   * different one restarts the pass.
   */
  paging?: { pageSize?: number; fingerprint: string };
  /** `Source.fetchOne` can fetch one record of this stream by primary key (it has a detail endpoint). */
  detail?: boolean;
}

export interface ReadOptions {
  syncMode: SyncMode;
  /** The stream's committed state, or undefined on a first sync. */
  state: StreamState | undefined;
  signal?: AbortSignal;
  /** Where this read logs (retry warnings, …): the engine passes a child logger carrying runId, connector and stream. */
  logger?: Logger;
}

/** How `Source.fetchOne` looks a record up: cancelled and logged like the stream's read. */
export type FetchOneOptions = Pick<ReadOptions, 'signal' | 'logger'>;

/** Live counters a stream reports while it reads (requests, retries, 429s, budget waits). */
export interface StreamMetrics {
  requests: number;
  retries: number;
  http429: number;
  budgetWaitMs: number;
  /** Response bytes after decoding. */
  bytes: number;
  /** Response bytes on the wire (compressed, when the API compressed them). */
  wireBytes?: number;
  /** Records read but dropped by the stream's record filter (declarative `record_filter`). */
  filtered?: number;
}

export interface Source {
  readonly name: string;
  /** The connector's version (for declarative connectors, a hash of the manifest). Stored with each state. */
  readonly version?: string;
  streams(): StreamDescriptor[];
  /** Probe the API with the configured credentials. Throws a typed error when it fails. */
  check(): Promise<void>;
  read(stream: string, opts: ReadOptions): AsyncIterable<Page>;
  /**
   * Fetch one record by primary key from the API's detail endpoint, transformed like a listed record;
   * `null` when the API says it does not exist (404). Used to confirm a record is really gone before a
   * sweep marks it deleted. Optional: a source without it cannot confirm deletions one by one.
   */
  fetchOne?(
    stream: string,
    key: Record<string, unknown>,
    opts?: FetchOneOptions,
  ): Promise<SourceRecord | null>;
  /** Per-stream request metrics since the source was built. */
  metrics(stream: string): StreamMetrics;
  close(): Promise<void>;
}
