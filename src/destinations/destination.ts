/**
 * The one interface every destination implements. The engine talks to destinations only through this file.
 *
 * The contract that makes exactly-once hold (docs/architecture.md law 1): `write` commits the rows, the stream's
 * state and the schema changes they need in ONE transaction. If `write` throws, nothing of that batch is
 * visible and the stored state still describes the data that is.
 */

/**
 * Column types, in widening order per family: bigint → double → varchar, bigint → decimal → varchar,
 * double → decimal; boolean → varchar; timestamp → varchar.
 *
 * `decimal` is an exact number of any size: integers beyond int64 and numbers beyond the double range
 * (`1e400`) that the API sent (they reach a destination as their exact text). PostgreSQL stores it as
 * NUMERIC; DuckDB, whose DECIMAL stops at 38 digits, as VARCHAR holding the exact text.
 */
export type ColumnType = 'boolean' | 'bigint' | 'double' | 'decimal' | 'timestamp' | 'varchar';

export interface Column {
  /** The column name exactly as it should appear (the engine has already normalised it). Always quoted. */
  name: string;
  type: ColumnType;
  /**
   * Set when the name was disambiguated because another source field flattens to the same name: the source
   * path this column holds. The destination records a `rename_collision` schema change when it adds it.
   */
  sourcePath?: string;
}

/** What a stream's table must look like. Columns are the union seen so far; the destination adds or widens. */
export interface TableSpec {
  stream: string;
  primaryKey: string[];
  columns: Column[];
}

/** A value as it reaches a destination. Timestamps are ISO-8601 UTC strings; arrays/objects arrive as JSON text. */
export type Value = null | boolean | number | string;
export type Row = Record<string, Value>;

/** Stream state is opaque JSON to destinations. */
export type StreamState = Record<string, unknown>;

/** How rows land in the table. */
export type WriteMode =
  /** Upsert by primary key (the default). */
  | 'upsert'
  /** Build the stream into a side table; `finishReplace` swaps it in atomically. */
  | 'replace';

export interface WriteBatch {
  runId: string;
  stream: string;
  /** The table as it must be after this batch (the destination adds/widens columns inside the transaction). */
  table: TableSpec;
  rows: Row[];
  /** The stream's state after these rows. Committed in the same transaction. */
  state: StreamState;
  /** Set on every row as `_tributary_synced_at`. */
  syncedAt: Date;
  /**
   * Full-refresh pass id. When set, every row written gets `_tributary_pass = passId` and
   * `_tributary_deleted = false`, so `sweepDeleted` can find the rows this pass did not see.
   */
  passId?: string;
  mode: WriteMode;
  /**
   * Client-side incremental: a column (e.g. `modified`) whose unchanged value means the row is unchanged.
   * Rows whose stored, non-deleted copy has the same value are not rewritten; they only get
   * `_tributary_pass = passId`, so the soft-delete sweep still counts them as seen. Upsert mode only.
   */
  skipUnchangedBy?: string;
}

export interface SchemaChange {
  stream: string;
  /**
   * `rename_collision`: two source fields flatten/snake_case to one column name; the later one in the
   * deterministic order (see transforms.ts) lands in `column` (e.g. `foo_bar__2`), from `sourcePath`.
   */
  kind: 'create_table' | 'add_column' | 'widen_column' | 'rename_collision';
  column?: string;
  fromType?: ColumnType;
  toType?: ColumnType;
  /** For `rename_collision`: the source field path (`fooBar`, `a.b`) the column holds. */
  sourcePath?: string;
}

/**
 * Something a destination changed in the values of a batch to store them (never silent). The engine counts
 * and keeps them per stream in the run summary (and so in `_tributary_runs.summary`) and logs each once.
 */
export interface DestinationWarning {
  /** `TRB_DEST_NUL_STRIPPED`: NUL characters removed (the database cannot store them); `TRB_DEST_INVALID_UTF16`: unpaired surrogates replaced by U+FFFD. */
  code: 'TRB_DEST_NUL_STRIPPED' | 'TRB_DEST_INVALID_UTF16';
  stream: string;
  message: string;
  /** `values`: how many values changed; `columns`: in which columns; `destination`: its description. */
  details: Record<string, unknown>;
}

export interface WriteResult {
  rowsWritten: number;
  /** Rows left as they were because `skipUnchangedBy` matched (0 or absent otherwise). */
  rowsUnchanged?: number;
  schemaChanges: SchemaChange[];
  /** What had to change in the values to store them; absent or empty when nothing did. */
  warnings?: DestinationWarning[];
}

export interface RunRecord {
  runId: string;
  connector: string;
  startedAt: Date;
  endedAt?: Date;
  status: 'running' | 'succeeded' | 'failed';
  recordsWritten?: number;
  recordsDeleted?: number;
  /** Redacted error message, if the run failed. */
  error?: string;
  /** Per-stream summary (JSON). */
  summary?: unknown;
}

/** A destination for one connection: one schema (namespace) holding the stream tables and bookkeeping. */
export interface Destination {
  /** Short name for logs and summaries, e.g. `duckdb:./tributary.duckdb` (never a password). */
  readonly description: string;

  /** Open the database, create the namespace and the bookkeeping tables. Throws DestinationError. */
  open(): Promise<void>;

  /** All committed stream states for this connection. */
  readStates(): Promise<Record<string, StreamState>>;

  /** Upsert (or stage, in replace mode) rows, evolve the table and commit the state: one transaction. */
  write(batch: WriteBatch): Promise<WriteResult>;

  /**
   * End of a completed full-refresh pass: in one transaction, mark rows whose `_tributary_pass` differs
   * from `passId` as deleted, and commit `state`. Returns the number of rows newly marked deleted.
   */
  sweepDeleted(stream: string, passId: string, state: StreamState): Promise<number>;

  /** End of a completed replace pass: atomically swap the staged table in and commit `state`. */
  finishReplace(stream: string, table: TableSpec, state: StreamState): Promise<void>;

  /**
   * Proof of a full-refresh pass: how many rows carry `_tributary_pass = passId`, in the live table (upsert
   * mode) or in the staged table (replace mode). 0 when the table does not exist yet.
   */
  countPassRows(stream: string, passId: string, mode: WriteMode): Promise<number>;

  /**
   * The rows the end of pass `passId` would remove, for the engine to confirm one by one before it does:
   * upsert mode, live rows not yet marked deleted whose `_tributary_pass` differs from `passId` (what
   * `sweepDeleted` would mark); replace mode, live rows not marked deleted whose primary key no row of
   * this pass holds in the staged table (what `finishReplace` would drop). At most `limit` rows, each with
   * only the primary-key columns (named as in `primaryKey`). None when the live table does not exist.
   */
  deletionCandidates(
    stream: string,
    passId: string,
    mode: WriteMode,
    primaryKey: string[],
    limit: number,
  ): Promise<Row[]>;

  /** Commit a stream's state alone, in its own transaction (e.g. to make the next run start a fresh pass). */
  commitState(stream: string, state: StreamState): Promise<void>;

  /** Delete stored state for the given streams (all when omitted). */
  resetState(streams?: string[]): Promise<void>;

  /** Bookkeeping: insert or update the run row in `_tributary_runs`. */
  recordRun(run: RunRecord): Promise<void>;

  close(): Promise<void>;
}

/** Options every destination factory receives. */
export interface DestinationOptions {
  /** The schema (namespace) for this connection; default is the connector name. */
  namespace: string;
  /** Connector name, recorded in `_tributary_runs` and as the namespace's owner (`_tributary_owner`). */
  connector: string;
  /** Connection name, when the user gave one: recorded with the owner, and must match it once recorded. */
  connection?: string;
  /**
   * The connector's stream names, when known. An unowned namespace holding tables or state of other streams
   * belongs to another connector and is refused (see namespace-owner.ts).
   */
  streams?: readonly string[];
}

/** System column names, shared by every destination. */
export const SYSTEM_COLUMNS = {
  syncedAt: '_tributary_synced_at',
  deleted: '_tributary_deleted',
  pass: '_tributary_pass',
} as const;

export const BOOKKEEPING_TABLES = {
  state: '_tributary_state',
  runs: '_tributary_runs',
  schemaChanges: '_tributary_schema_changes',
  /** One row: the connection that owns the namespace (namespace-owner.ts). */
  owner: '_tributary_owner',
} as const;

/** Widening: the narrowest type that holds values of both `a` and `b`. */
export function widenType(a: ColumnType, b: ColumnType): ColumnType {
  if (a === b) return a;
  if ((a === 'bigint' && b === 'double') || (a === 'double' && b === 'bigint')) return 'double';
  // Every int64 and every double (its shortest round-trip text) is an exact decimal.
  if (a === 'decimal' && (b === 'bigint' || b === 'double')) return 'decimal';
  if (b === 'decimal' && (a === 'bigint' || a === 'double')) return 'decimal';
  return 'varchar';
}

/** One stream's stored state with the time it was last committed. */
export interface StoredStateRow {
  stream: string;
  state: StreamState;
  updatedAt: Date;
}

/** A stream table's row counts (soft-deleted rows included in `rows`). */
export interface TableCount {
  table: string;
  rows: number;
  deleted: number;
}

/**
 * Read-only access to what tributary stored in a database, for `runs`, `status` and `state show`. Opening a
 * reader never creates anything: a missing DuckDB file or PostgreSQL schema is an error, not a new one.
 */
export interface DestinationReader {
  /** Short name, e.g. `duckdb:./tributary.duckdb` (never a password). */
  readonly description: string;
  /** Schemas in this database that hold tributary bookkeeping (a `_tributary_state` table), sorted. */
  namespaces(): Promise<string[]>;
  /** Every stream's state in a namespace, by stream name. */
  readStateRows(namespace: string): Promise<StoredStateRow[]>;
  /** The most recent runs in a namespace, newest first. */
  readRuns(namespace: string, limit: number): Promise<RunRecord[]>;
  /** Row counts of the stream tables in a namespace (bookkeeping and staging tables left out). */
  tableCounts(namespace: string): Promise<TableCount[]>;
  close(): Promise<void>;
}
