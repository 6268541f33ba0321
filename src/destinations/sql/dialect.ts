/**
 * What a SQL database supplies so that the one write protocol (sql-destination.ts) can run on it. The
 * protocol owns the algorithm (find or create the table, replace marker, evolve, stage, skip unchanged,
 * upsert, schema-change log, state, sweep, swap, bookkeeping, run rows, namespace claim, warnings); a
 * dialect owns only what differs between databases: how to connect and run a transaction, how SQL is
 * spelled, how names are stored, how a table is read and changed, and the fast bulk path.
 *
 * Roles, one small interface each (a dialect implements them all, usually one file per role):
 * - `DialectConnection`: open (connect, lock the namespace, create the schema), transactions (serialization,
 *   retry of transient failures, mapping of driver errors to DestinationError), close.
 * - `DialectSql`: quoting, literals, type names, and the few statements whose text differs.
 * - `DialectNames`: identifier rules (length limits, names the database reserves, case folding).
 * - `DialectTables`: introspection and the DDL that creates or evolves a table.
 * - `DialectStaging`: the bulk path into a staging relation the upsert reads from.
 *
 * Model: kysely's `src/dialect/<db>/` (small interfaces at the parent, one role per file below it) and
 * dlt's shared SQL job client.
 */
import type { ColumnType, SchemaChange, Value } from '../destination.js';
import type { TableMarker } from '../table-marker.js';

// ---------------------------------------------------------------------------------------------------------
// Connection and transactions

/** A statement's effect. */
export interface RunResult {
  /** Rows inserted, updated or deleted (0 for DDL). */
  rowsChanged: number;
}

/** One open transaction (or, for reads, one serialized session) on the dialect's connection. */
export interface Tx {
  /** Run a statement. */
  run(sql: string): Promise<RunResult>;
  /** Run a query; rows as plain objects with the driver's values (bigint, Date, parsed JSON or text…). */
  query(sql: string): Promise<Record<string, unknown>[]>;
}

export interface DialectConnection<T extends Tx> {
  /**
   * Connect, take the namespace's lock if the database needs one, create the schema (namespace) when it is
   * missing, then run `setup` (the protocol's bookkeeping DDL, pending-swap recovery and namespace claim) in
   * one transaction where the database allows it. Errors other than ConfigError become TRB_DEST_OPEN (or
   * the dialect's more precise TRB_DEST_UNREACHABLE / TRB_DEST_LOCKED). May be called again after a failure.
   */
  open(setup: (tx: T) => Promise<void>): Promise<void>;
  /**
   * Run `fn` in one transaction: everything it did commits, or nothing does. The dialect serializes
   * transactions as its database needs (per stream, or globally when `stream` is undefined or the driver
   * has one connection), replays the whole of `fn` after a transient failure (`attempt` counts from 1), and
   * maps driver errors to DestinationError with a message naming `what` and the destination. A
   * DestinationError or ConfigError thrown by `fn` passes through unchanged.
   */
  transaction<R>(
    what: string,
    stream: string | undefined,
    fn: (tx: T, attempt: number) => Promise<R>,
  ): Promise<R>;
  /** Let queued work finish, then disconnect and release the lock. Idempotent. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// SQL text

/** A value spliced into a bookkeeping statement as a literal. Dates are timestamps with time zone. */
export type SqlValue = string | number | boolean | Date | null | undefined;

/** How a column of a merged row behaves when the key already exists. */
export type OnConflict =
  /** Take the new value. */
  | 'replace'
  /** Take the new value unless it is NULL (a later call that leaves a field out keeps the earlier one). */
  | 'coalesce'
  /** Keep the stored row as it is (the key columns, and rows recorded once). */
  | 'keep';

export interface DialectSql {
  quoteIdent(name: string): string;
  quoteLiteral(value: string): string;
  /** A literal for a bookkeeping value (NULL for null/undefined and non-finite numbers). */
  literal(value: SqlValue): string;
  /** A literal of JSON text, typed as the database's JSON column type. */
  jsonLiteral(text: string): string;
  /** A table of the namespace, qualified so that no TEMP table of the same name can shadow it. */
  qualify(table: string): string;
  /** An expression's value as text (for comparing keys widened differently in two tables). */
  asText(expr: string): string;
  /** Null-safe inequality (`a IS DISTINCT FROM b`; MySQL: `NOT (a <=> b)`). */
  isDistinctFrom(a: string, b: string): string;
  /** The column type DDL for a stream column of `type`. */
  typeName(type: ColumnType): string;
  /**
   * Insert rows into a bookkeeping table, merging with stored rows of the same `key`: each non-key column
   * behaves as `onConflict` says (default `replace`; when every column is `keep`, a duplicate is ignored).
   * `rows` are SQL expressions (literals) in the order of `columns`.
   */
  mergeRowsSql(
    table: string,
    columns: readonly string[],
    rows: readonly (readonly string[])[],
    key: readonly string[],
    onConflict?: Readonly<Record<string, OnConflict>>,
  ): string;
  /** The SQL expression of the transaction's start time as a timestamp with time zone. */
  now(): string;
}

// ---------------------------------------------------------------------------------------------------------
// Identifier rules

export type IdentifierKind = 'schema' | 'table' | 'column' | 'constraint';

/** A name as the database will store it, and whether it differs from the name asked for. */
export interface Identifier {
  original: string;
  name: string;
  /** True when `name` is not `original` (too long, or reserved by the database): the protocol records it. */
  mapped: boolean;
}

export interface DialectNames {
  /**
   * The identifier the database will store for `original`. A dialect with a length limit maps longer names
   * deterministically (prefix + hash); mapped names are recorded in `_tributary_names`. Throws
   * TRB_DEST_SCHEMA for a name the database cannot hold at all (empty, NUL…).
   */
  identifier(original: string, kind: IdentifierKind): Identifier;
  /**
   * The key under which two stored names are the same object (DuckDB and MySQL ignore the case of ASCII
   * letters; PostgreSQL compares quoted names exactly).
   */
  fold(name: string): string;
  /** Whether names are mapped at all (creates `_tributary_names` when true). */
  readonly mapsNames: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// Tables: introspection and DDL

/** A column as the database has it. */
export interface ShapeColumn {
  /** The name as stored. */
  name: string;
  /** The tributary type its values are, or undefined when tributary does not manage that type. */
  type: ColumnType | undefined;
  /** The database's own type name, for messages and for keeping a type tributary did not create. */
  nativeType: string;
}

/** A table as the database has it. */
export interface TableShape {
  /** The name as stored. */
  name: string;
  /** The table comment (tributary's marker lives there), or null. */
  comment: string | null;
  columns: ShapeColumn[];
  /** The primary key (a constraint, else what the dialect records elsewhere, e.g. the comment); [] if none. */
  primaryKey: string[];
  /** Set when the relation exists but is not a plain table (a view…): the protocol refuses to write it. */
  notATable?: string;
  /** What only the dialect reads back (PostgreSQL's key constraint name, DuckDB's enforced key…). */
  native?: unknown;
}

/** A column of a table to create or add. */
export interface ColumnDef {
  name: string;
  type: ColumnType;
}

/** What must change in an existing table; `alterTable` applies it. Names are stored names. */
export interface TableChange {
  add: ColumnDef[];
  widen: { column: ShapeColumn; to: ColumnType }[];
  /** System columns the table lacks (a table tributary did not create). */
  addSystem: string[];
  /** The comment the table must carry afterwards when it is tributary's (undefined: someone else's). */
  comment: string | undefined;
}

/** The system columns every stream table carries, in table order, and their types. */
export interface SystemColumnDef {
  name: string;
  type: ColumnType;
}

export interface DialectTables<T extends Tx> {
  /** The table of that (stored) name in the namespace, compared as the database compares names; or undefined. */
  readTable(tx: T, table: string): Promise<TableShape | undefined>;
  /** The comments of every table in the namespace (namespace claim reads markers from them). */
  tableComments(tx: T): Promise<(string | null)[]>;
  /**
   * Create a stream table (user columns, then the system columns), its primary key as the dialect keeps it
   * (PostgreSQL: a constraint; DuckDB: recorded in the comment, no index), and the comment.
   */
  createTable(
    tx: T,
    table: string,
    columns: readonly ColumnDef[],
    primaryKey: readonly string[],
    comment: string,
  ): Promise<void>;
  /**
   * Add and widen columns. Returns whether the table changed (a dialect may also change a table on its
   * own account, e.g. DuckDB rebuilding an old table whose key it enforced). Widening must keep every
   * stored value's meaning; text forms follow what the engine sends (ISO-8601 timestamps, JS number text).
   */
  alterTable(tx: T, shape: TableShape, change: TableChange): Promise<boolean>;
  /** Create a bookkeeping table (if it is missing, checked by the protocol first). */
  createBookkeepingTable(tx: T, table: string, columns: readonly BookkeepingColumn[]): Promise<void>;
  /** Add a bookkeeping column an older version of the table lacks. */
  addBookkeepingColumn(tx: T, table: string, column: BookkeepingColumn): Promise<void>;
  /** The comment of a tributary table: the marker, plus what the dialect records with it (its key). */
  markerComment(marker: TableMarker, primaryKey: readonly string[]): string;
  setComment(tx: T, table: string, comment: string): Promise<void>;
  /** Rename `from` to `to` (both in the namespace), with whatever the rename must carry (PG's key constraint). */
  renameTable(tx: T, from: TableShape, to: string): Promise<void>;
  dropTable(tx: T, table: string): Promise<void>;
}

/** Column kinds of bookkeeping tables; each dialect maps them to its own types. */
export type BookkeepingType = 'key' | 'text' | 'json' | 'timestamp' | 'bigint';

export interface BookkeepingColumn {
  name: string;
  type: BookkeepingType;
  notNull?: boolean;
  primaryKey?: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// Staging and the upsert

/** A column as staged: the stored name, the spec's name (the row field), and the type in the target. */
export interface StagedColumn {
  name: string;
  source: string;
  type: ColumnType;
}

/**
 * A checked batch (rows.ts): each primary key once (its last occurrence), values normalized, in batch
 * order. `values[i * width + c]` is row i's value of column c (undefined when the row lacks it).
 */
export interface PreparedRows {
  rows: Record<string, Value>[];
  values: (Value | undefined)[];
  width: number;
}

export interface DialectStaging<T extends Tx> {
  /**
   * Put the batch where the upsert can read it, inside the transaction, by the database's fast bulk path
   * (DuckDB's appender, PostgreSQL's COPY, MySQL's LOAD DATA or multi-row INSERT). Returns a relation (a
   * table name or a parenthesised SELECT) with one column per entry of `columns`, named and typed as the
   * target's, in batch order.
   */
  stage(tx: T, columns: readonly StagedColumn[], rows: PreparedRows): Promise<string>;
  /** Remove the staged rows (same transaction), so no row data outlives a batch. */
  clear(tx: T): Promise<void>;
}

export interface UpsertInput {
  /** The target table, qualified. */
  target: string;
  /** The staged relation `stage` returned. */
  source: string;
  /** The batch's columns (stored names, all in the target). */
  columns: readonly string[];
  /** Target columns the batch does not carry: NULL in a replaced row. */
  absentColumns: readonly string[];
  /** Stored names of the key columns; empty: append. */
  primaryKey: readonly string[];
  syncedAt: Date;
  passId: string | null;
  /** Plain INSERT, no key matching: for a table this transaction created, which holds no keys yet. */
  insertOnly: boolean;
  /** Skip-unchanged: leave live rows whose stored value of this column equals the staged one. */
  unchangedBy: string | undefined;
}

export interface DialectUpsert {
  /**
   * The upsert as statements run in order; the rows changed by the LAST is the batch's rows written. A
   * written row is live (`_tributary_deleted = false`), carries `syncedAt` and `passId`; with
   * `unchangedBy`, rows `touchUnchangedSql` left in place are not rewritten.
   */
  upsertSql(input: UpsertInput): string[];
  /**
   * Skip-unchanged: stamp stored live rows whose `unchangedBy` value equals the staged one with the pass
   * (rows changed: the batch's rows left unchanged).
   */
  touchUnchangedSql(
    input: Omit<UpsertInput, 'columns' | 'absentColumns' | 'insertOnly' | 'syncedAt'> & {
      unchangedBy: string;
    },
  ): string;
}

// ---------------------------------------------------------------------------------------------------------
// The whole dialect

/** What a database can and cannot do, which the protocol handles once. */
export interface DialectCapabilities {
  /**
   * Whether DDL runs inside a transaction. MySQL/MariaDB commit implicitly on DDL: the protocol then runs
   * the idempotent DDL first (create, add, widen, drop a stale side table) and the rows and state in one
   * transaction after it, and journals replace-mode swaps (`_tributary_swaps`) so a swap cut short is
   * rolled forward at the next open.
   */
  transactionalDdl: boolean;
  /** Whether text values may hold NUL (U+0000). When not, rows.ts removes them and the batch warns. */
  storesNul: boolean;
  /**
   * Whether the protocol may keep table shapes between transactions (and trust them): true when nothing
   * else changes the namespace's tables while the destination is open (DuckDB holds its file exclusively).
   */
  cacheShapes: boolean;
}

export interface Dialect<T extends Tx = Tx> {
  /** Short name for logs, e.g. `duckdb:./tributary.duckdb` (never a password). */
  readonly description: string;
  /** The database's name in messages: `DuckDB`, `PostgreSQL`, `MySQL`. */
  readonly product: string;
  readonly capabilities: DialectCapabilities;
  readonly connection: DialectConnection<T>;
  readonly sql: DialectSql;
  readonly names: DialectNames;
  readonly tables: DialectTables<T>;
  readonly staging: DialectStaging<T>;
  readonly upsert: DialectUpsert;
  /** Remove secrets from text stored in `_tributary_runs` (error messages may quote a connection URL). */
  redact(text: string): string;
}

/** Re-exported for dialect authors: what schema changes the protocol records. */
export type { SchemaChange, TableMarker };
