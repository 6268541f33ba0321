/**
 * The exactly-once write protocol, once, for every SQL database (docs/architecture.md law 1): a batch's
 * table DDL, rows, schema-change log and stream state commit in one transaction, or none of them do. A
 * database supplies a Dialect (dialect.ts); everything else is here: find or create the table, the replace
 * marker, evolve the schema, stage, skip unchanged, upsert, log schema changes, save state, sweep, swap,
 * bookkeeping, run rows, namespace claim, warnings, and the table-shape cache.
 *
 * On a database whose DDL commits implicitly (`transactionalDdl: false`), the DDL a batch needs runs first
 * in its own step (it is idempotent: running it again finds nothing to do), then the rows and the state in
 * one transaction; a replace-mode swap is journaled (bookkeeping.ts, SWAPS_TABLE) and rolled forward.
 */
import { isDeepStrictEqual } from 'node:util';
import { DestinationError } from '../../errors.js';
import {
  BOOKKEEPING_TABLES,
  type Destination,
  type DestinationOptions,
  type Row,
  type RunRecord,
  type SchemaChange,
  type StreamState,
  SYSTEM_COLUMNS,
  type TableSpec,
  type Value,
  type WriteBatch,
  type WriteMode,
  type WriteResult,
  widenType,
} from '../destination.js';
import { decideOwnership } from '../namespace-owner.js';
import { readMarker, type TableMarker } from '../table-marker.js';
import { bookkeepingTables, NAMES_TABLE, SWAPS_TABLE } from './bookkeeping.js';
import type {
  ColumnDef,
  Dialect,
  Identifier,
  ShapeColumn,
  StagedColumn,
  TableChange,
  TableShape,
  Tx,
} from './dialect.js';
import { type CheckedRows, checkRows, valueWarnings } from './rows.js';
import { checkSpec, SYSTEM_COLUMN_TYPES, sideTable, streamTable } from './spec.js';

export { RESERVED_PREFIX, SYSTEM_COLUMN_TYPES } from './spec.js';

/** A name mapping to record in `_tributary_names`. */
interface MappedName {
  kind: string;
  original: string;
  name: string;
}

/** A stream's table after its DDL: what the batch writes into. */
interface Prepared {
  shape: TableShape;
  /** The spec's columns with their stored names and effective types, in spec order. */
  columns: StagedColumn[];
  /** Stored names of the key columns. */
  primaryKey: string[];
  changes: SchemaChange[];
  /** Whether the table was created by this step (it holds no keys yet). */
  created: boolean;
}

/** Shapes the running transaction read or changed, made current in the cache only when it commits. */
type Pending = Map<string, TableShape | undefined>;

export class SqlDestination<T extends Tx = Tx> implements Destination {
  readonly description: string;
  /** Table shapes as of the last commit, by folded name (only when the dialect allows caching). */
  private readonly shapes = new Map<string, TableShape>();
  private opening: Promise<void> | undefined;

  constructor(
    protected readonly dialect: Dialect<T>,
    protected readonly opts: DestinationOptions,
  ) {
    this.description = dialect.description;
  }

  // ---- Destination ------------------------------------------------------------------------------

  async open(): Promise<void> {
    // Concurrent calls share one attempt; a failed attempt can be retried.
    this.opening ??= this.dialect.connection
      .open((tx) => this.setup(tx))
      .finally(() => {
        this.opening = undefined;
      });
    return this.opening;
  }

  async readStates(): Promise<Record<string, StreamState>> {
    return this.transaction('reading stream states', undefined, async (tx) => {
      const rows = await tx.query(
        `SELECT stream, ${this.dialect.sql.asText('state')} AS state FROM ${this.bookkeeping('state')} ORDER BY stream`,
      );
      const states: Record<string, StreamState> = {};
      for (const r of rows) states[String(r.stream)] = parseJson(r.state) as StreamState;
      return states;
    });
  }

  async write(batch: WriteBatch): Promise<WriteResult> {
    const stream = batch.stream;
    checkSpec(this.dialect, stream, batch.table);
    // Validation, typing, normalization and dedupe need no database, so they run before any lock is taken.
    const checked = checkRows(batch.table, batch.rows, { storesNul: this.dialect.capabilities.storesNul });
    const state = stateText(stream, batch.state);
    const replace = batch.mode === 'replace';
    const table = replace ? sideTable(this.dialect.names, stream) : streamTable(this.dialect.names, stream);
    const marker: TableMarker = replace ? { stream, pass: batch.passId ?? null } : { stream };
    const what = `writing a batch of stream "${stream}"`;
    let early: SchemaChange[] = [];
    if (!this.dialect.capabilities.transactionalDdl) {
      // DDL commits on its own here: run it first; the transaction below then finds nothing left to do.
      early = await this.transaction(what, stream, async (tx, pending) => {
        const prepared = await this.prepareTable(tx, pending, batch, table, marker, checked);
        await this.logChanges(tx, batch.runId, visible(prepared.changes, replace));
        return visible(prepared.changes, replace);
      });
    }
    const result = await this.transaction(what, stream, async (tx, pending) => {
      const prepared = await this.prepareTable(tx, pending, batch, table, marker, checked);
      const changes = visible(prepared.changes, replace);
      await this.logChanges(tx, batch.runId, changes);
      const written = await this.writeRows(tx, batch, prepared, checked);
      await this.saveState(tx, stream, state);
      return { ...written, schemaChanges: [...early, ...changes] };
    });
    const warnings = valueWarnings(stream, checked.changes, this.description, this.dialect.product);
    return warnings.length === 0 ? result : { ...result, warnings };
  }

  async sweepDeleted(stream: string, passId: string, state: StreamState): Promise<number> {
    const text = stateText(stream, state);
    const table = streamTable(this.dialect.names, stream);
    return this.transaction(`sweeping deleted rows of stream "${stream}"`, stream, async (tx, pending) => {
      let swept = 0;
      const shape = await this.shape(tx, pending, table.name);
      if (shape !== undefined) {
        const { sql } = this.dialect;
        const deleted = sql.quoteIdent(SYSTEM_COLUMNS.deleted);
        const pass = sql.isDistinctFrom(sql.quoteIdent(SYSTEM_COLUMNS.pass), sql.quoteLiteral(passId));
        const result = await tx.run(
          `UPDATE ${sql.qualify(shape.name)} SET ${deleted} = true WHERE ${pass} AND NOT ${deleted}`,
        );
        swept = result.rowsChanged;
      }
      await this.saveState(tx, stream, text);
      return swept;
    });
  }

  async finishReplace(stream: string, spec: TableSpec, state: StreamState): Promise<void> {
    checkSpec(this.dialect, stream, spec);
    const text = stateText(stream, state);
    const side = sideTable(this.dialect.names, stream);
    const target = streamTable(this.dialect.names, stream);
    const what = `swapping in the replaced table of stream "${stream}"`;
    const stage = async (tx: T, pending: Pending): Promise<TableShape | undefined> => {
      const existing = await this.shape(tx, pending, side.name);
      if (existing !== undefined && readMarker(existing.comment) === undefined)
        throw notOurs(this.dialect.sql.qualify(existing.name), stream);
      // An empty pass never wrote a batch: its result is an empty table.
      const prepared = await this.evolve(tx, pending, side, spec, existing, { stream, pass: null }, []);
      await this.logChanges(tx, null, visible(prepared.changes, true));
      const current = await this.shape(tx, pending, target.name);
      if (current !== undefined && readMarker(current.comment) === undefined) {
        throw new DestinationError(
          'TRB_DEST_SCHEMA',
          `table ${this.dialect.sql.qualify(current.name)} was not created by tributary; replace mode would drop it. ` +
            'Drop or rename it yourself, or sync into another schema.',
          { details: { stream } },
        );
      }
      if (current === undefined) await this.logChanges(tx, null, [{ stream, kind: 'create_table' }]);
      return current;
    };

    if (this.dialect.capabilities.transactionalDdl) {
      await this.transaction(what, stream, async (tx, pending, attempt) => {
        if (
          attempt > 1 &&
          (await this.shape(tx, pending, side.name)) === undefined &&
          (await this.stateIs(tx, stream, state))
        ) {
          // The connection dropped after COMMIT reached the server: the swap already happened.
          return;
        }
        await stage(tx, pending);
        await this.swap(tx, pending, stream, spec.primaryKey, side, target);
        await this.saveState(tx, stream, text);
      });
      return;
    }
    // DDL commits on its own: make the side table final, then commit the state with a journal record of
    // the swap, then swap and clear the record. A crash in between is rolled forward at the next open.
    await this.transaction(what, stream, async (tx, pending) => {
      await stage(tx, pending);
    });
    await this.transaction(what, stream, async (tx) => {
      const swaps = this.dialect.sql.qualify(SWAPS_TABLE);
      await tx.run(
        this.dialect.sql.mergeRowsSql(
          swaps,
          ['stream', 'side_table', 'target_table'],
          [[stream, side.name, target.name].map((v) => this.dialect.sql.quoteLiteral(v))],
          ['stream'],
        ),
      );
      await this.saveState(tx, stream, text);
    });
    await this.transaction(what, stream, (tx, pending) => this.completeSwap(tx, pending, stream));
  }

  async countPassRows(stream: string, passId: string, mode: WriteMode): Promise<number> {
    const table =
      mode === 'replace' ? sideTable(this.dialect.names, stream) : streamTable(this.dialect.names, stream);
    return this.transaction(
      `counting the rows of pass ${passId} of stream "${stream}"`,
      stream,
      async (tx, pending) => {
        const shape = await this.shape(tx, pending, table.name);
        if (shape === undefined) return 0;
        const { sql } = this.dialect;
        const rows = await tx.query(
          `SELECT count(*) AS n FROM ${sql.qualify(shape.name)} WHERE ${sql.quoteIdent(SYSTEM_COLUMNS.pass)} = ${sql.quoteLiteral(passId)}`,
        );
        return Number(rows[0]!.n);
      },
    );
  }

  async deletionCandidates(
    stream: string,
    passId: string,
    mode: WriteMode,
    primaryKey: string[],
    limit: number,
  ): Promise<Row[]> {
    const live = streamTable(this.dialect.names, stream);
    return this.transaction(
      `listing the rows pass ${passId} of stream "${stream}" did not see`,
      stream,
      async (tx, pending) => {
        if (primaryKey.length === 0) return [];
        const shape = await this.shape(tx, pending, live.name);
        if (shape === undefined) return [];
        const { sql } = this.dialect;
        const pass = sql.quoteIdent(SYSTEM_COLUMNS.pass);
        const keys = primaryKey.map((k) => {
          const column = this.findColumn(shape, this.dialect.names.identifier(k, 'column').name);
          return { original: k, ident: sql.quoteIdent(column?.name ?? k), type: column?.type };
        });
        const cols = keys.map((k, i) => `l.${k.ident} AS k${i}`).join(', ');
        let where = `NOT l.${sql.quoteIdent(SYSTEM_COLUMNS.deleted)}`;
        if (mode === 'upsert') {
          where += ` AND ${sql.isDistinctFrom(`l.${pass}`, sql.quoteLiteral(passId))}`;
        } else {
          const staged = await this.shape(tx, pending, sideTable(this.dialect.names, stream).name);
          if (staged !== undefined) {
            // Compared as text: a key column may have been widened differently in the two tables.
            const same = keys
              .map((k) => `${sql.asText(`s.${k.ident}`)} = ${sql.asText(`l.${k.ident}`)}`)
              .join(' AND ');
            where += ` AND NOT EXISTS (SELECT 1 FROM ${sql.qualify(staged.name)} s WHERE s.${pass} = ${sql.quoteLiteral(passId)} AND ${same})`;
          }
        }
        const rows = await tx.query(
          `SELECT ${cols} FROM ${sql.qualify(shape.name)} l WHERE ${where} LIMIT ${Math.max(0, Math.floor(limit))}`,
        );
        return rows.map((r) => {
          const row: Row = {};
          keys.forEach((k, i) => {
            row[k.original] = keyValue(r[`k${i}`], k.type);
          });
          return row;
        });
      },
    );
  }

  async commitState(stream: string, state: StreamState): Promise<void> {
    const text = stateText(stream, state);
    await this.transaction(`committing the state of stream "${stream}"`, stream, async (tx) => {
      await this.saveState(tx, stream, text);
    });
  }

  async resetState(streams?: string[]): Promise<void> {
    const { sql } = this.dialect;
    await this.transaction('resetting stream state', undefined, async (tx) => {
      const where =
        streams === undefined
          ? ''
          : ` WHERE stream IN (${streams.length === 0 ? 'NULL' : streams.map((s) => sql.quoteLiteral(s)).join(', ')})`;
      await tx.run(`DELETE FROM ${this.bookkeeping('state')}${where}`);
    });
  }

  async recordRun(run: RunRecord): Promise<void> {
    const { sql } = this.dialect;
    const clean = (text: string) => {
      const redacted = this.dialect.redact(text);
      return this.dialect.capabilities.storesNul ? redacted : redacted.replaceAll('\0', '');
    };
    const summary = run.summary === undefined ? undefined : clean(JSON.stringify(run.summary));
    await this.transaction(`recording run ${run.runId}`, undefined, async (tx) => {
      await tx.run(
        sql.mergeRowsSql(
          this.bookkeeping('runs'),
          [
            'run_id',
            'connector',
            'started_at',
            'ended_at',
            'status',
            'records_written',
            'records_deleted',
            'error',
            'summary',
          ],
          [
            [
              sql.literal(run.runId),
              sql.literal(run.connector),
              sql.literal(run.startedAt),
              sql.literal(run.endedAt),
              sql.literal(run.status),
              sql.literal(run.recordsWritten),
              sql.literal(run.recordsDeleted),
              sql.literal(run.error === undefined ? undefined : clean(run.error)),
              summary === undefined ? 'NULL' : sql.jsonLiteral(summary),
            ],
          ],
          ['run_id'],
          // A later call that leaves a field out keeps what an earlier call recorded.
          {
            ended_at: 'coalesce',
            records_written: 'coalesce',
            records_deleted: 'coalesce',
            error: 'coalesce',
            summary: 'coalesce',
          },
        ),
      );
    });
  }

  async close(): Promise<void> {
    await this.opening?.catch(() => undefined);
    await this.dialect.connection.close();
  }

  // ---- open ------------------------------------------------------------------------------------------

  /** Bookkeeping tables, pending swaps, namespace claim: in the dialect's open transaction. */
  private async setup(tx: T): Promise<void> {
    this.shapes.clear();
    const { tables, names, capabilities } = this.dialect;
    const wanted = bookkeepingTables({
      mapsNames: names.mapsNames,
      journalsSwaps: !capabilities.transactionalDdl,
    });
    for (const table of wanted) {
      // Existence is checked first: `CREATE … IF NOT EXISTS` may demand privileges the owner lacks.
      const shape = await tables.readTable(tx, table.name);
      if (shape === undefined) {
        await tables.createBookkeepingTable(tx, table.name, table.columns);
        continue;
      }
      for (const later of table.later ?? []) {
        if (this.findColumn(shape, later) === undefined)
          await tables.addBookkeepingColumn(tx, table.name, table.columns.find((c) => c.name === later)!);
      }
    }
    const schema = names.identifier(this.opts.namespace, 'schema');
    if (schema.mapped)
      await this.recordNames(tx, [{ kind: 'schema', original: schema.original, name: schema.name }]);
    if (!capabilities.transactionalDdl) {
      const pending = await tx.query(`SELECT stream FROM ${this.dialect.sql.qualify(SWAPS_TABLE)}`);
      for (const r of pending) await this.completeSwap(tx, new Map(), String(r.stream));
    }
    await this.claimNamespace(tx);
  }

  /** One namespace, one connection (namespace-owner.ts): refuse another connection's, claim an unowned one. */
  private async claimNamespace(tx: T): Promise<void> {
    const { sql } = this.dialect;
    const owners = await tx.query(`SELECT connector, connection FROM ${this.bookkeeping('owner')} LIMIT 1`);
    const runs = await tx.query(`SELECT DISTINCT connector FROM ${this.bookkeeping('runs')}`);
    const states = await tx.query(`SELECT stream FROM ${this.bookkeeping('state')}`);
    const comments = await this.dialect.tables.tableComments(tx);
    const owner = owners[0];
    const action = decideOwnership(
      {
        owner:
          owner === undefined
            ? undefined
            : {
                connector: String(owner.connector),
                connection: owner.connection === null ? null : String(owner.connection),
              },
        runConnectors: runs.map((r) => String(r.connector)),
        streams: [
          ...states.map((r) => String(r.stream)),
          ...comments.flatMap((c) => readMarker(c)?.stream ?? []),
        ],
      },
      { connector: this.opts.connector, connection: this.opts.connection, streams: this.opts.streams },
      `namespace "${this.opts.namespace}" in ${this.description}`,
    );
    if (action === 'claim') {
      await tx.run(
        `INSERT INTO ${this.bookkeeping('owner')} (connector, connection, claimed_at) ` +
          `VALUES (${sql.literal(this.opts.connector)}, ${sql.literal(this.opts.connection)}, ${sql.now()})`,
      );
    } else if (action === 'name') {
      await tx.run(
        `UPDATE ${this.bookkeeping('owner')} SET connection = ${sql.literal(this.opts.connection)}`,
      );
    }
  }

  // ---- the batch -------------------------------------------------------------------------------------

  /** Find the batch's table, drop a stale replace side table, and bring the table to the spec. */
  private async prepareTable(
    tx: T,
    pending: Pending,
    batch: WriteBatch,
    table: Identifier,
    marker: TableMarker,
    checked: CheckedRows,
  ): Promise<Prepared> {
    let existing = await this.shape(tx, pending, table.name);
    if (batch.mode === 'replace' && existing !== undefined) {
      const found = readMarker(existing.comment);
      if (found === undefined) throw notOurs(this.dialect.sql.qualify(existing.name), batch.stream);
      if (batch.passId !== undefined && found.pass !== batch.passId) {
        // Rows of an earlier, unfinished pass must not be swapped in with this one.
        await this.dialect.tables.dropTable(tx, existing.name);
        pending.set(this.dialect.names.fold(existing.name), undefined);
        existing = undefined;
      }
    }
    return this.evolve(tx, pending, table, batch.table, existing, marker, checked.types);
  }

  /**
   * Bring `table` to `spec` (and to the types the batch's values need): create it, or add the missing
   * columns and widen the ones whose values no longer fit. Never narrows and never drops.
   */
  private async evolve(
    tx: T,
    pending: Pending,
    table: Identifier,
    spec: TableSpec,
    existing: TableShape | undefined,
    marker: TableMarker,
    valueTypes: readonly (string | undefined)[],
  ): Promise<Prepared> {
    const { tables, names, sql } = this.dialect;
    const stream = spec.stream;
    const qualified = sql.qualify(existing?.name ?? table.name);
    const ids = spec.columns.map((c) => names.identifier(c.name, 'column'));
    const mapped: MappedName[] = [];
    if (table.mapped) mapped.push({ kind: 'table', original: table.original, name: table.name });
    for (const id of ids)
      if (id.mapped) mapped.push({ kind: 'column', original: id.original, name: id.name });
    const byOriginal = new Map(spec.columns.map((c, i) => [c.name, ids[i]!.name]));
    const primaryKey = spec.primaryKey.map((k) => byOriginal.get(k)!);
    const comment = tables.markerComment(marker, primaryKey);

    if (existing?.notATable !== undefined) {
      throw new DestinationError(
        'TRB_DEST_SCHEMA',
        `table ${qualified} exists but is not a table (${existing.notATable}); tributary needs a plain table there for ` +
          `stream "${stream}". Drop or rename it, or sync into another schema.`,
        { details: { stream } },
      );
    }
    const typeOf = (i: number, current: ShapeColumn | undefined): StagedColumn['type'] => {
      const declared = spec.columns[i]!.type;
      const byValues = (valueTypes[i] ?? declared) as StagedColumn['type'];
      const wanted = widenType(declared, byValues);
      return current?.type === undefined ? wanted : widenType(current.type, wanted);
    };

    if (existing === undefined) {
      const columns: StagedColumn[] = spec.columns.map((c, i) => ({
        name: ids[i]!.name,
        source: c.name,
        type: typeOf(i, undefined),
      }));
      await tables.createTable(
        tx,
        table.name,
        columns.map((c): ColumnDef => ({ name: c.name, type: c.type })),
        primaryKey,
        comment,
      );
      const shape = (await tables.readTable(tx, table.name))!;
      pending.set(names.fold(table.name), shape);
      if (mapped.length > 0) await this.recordNames(tx, mapped);
      return {
        shape,
        columns,
        primaryKey,
        created: true,
        changes: [{ stream, kind: 'create_table' }, ...renames(stream, spec.columns)],
      };
    }

    const owned = readMarker(existing.comment) !== undefined;
    if (!sameKey(existing.primaryKey.map(names.fold), primaryKey.map(names.fold))) {
      // A database that compares names exactly shows them quoted; one that ignores case, as they are.
      const quoted = names.fold('A') === 'A';
      const has = keyList(existing.primaryKey, quoted);
      throw new DestinationError(
        'TRB_DEST_SCHEMA',
        owned
          ? `table ${qualified} has primary key ${has} but stream "${stream}" now declares ${keyList(primaryKey, quoted)}. ` +
              `A primary key cannot change in place: drop the table (or sync into another schema) and reset the stream's state to rebuild it.`
          : `table ${qualified} already exists and was not created by tributary: its primary key is ${has} but stream ` +
              `"${stream}" needs ${keyList(primaryKey, quoted)}. tributary will not take over a table with a different key; ` +
              'drop or rename it, or sync into another schema.',
        { details: { stream, table: existing.name, existingPrimaryKey: existing.primaryKey, primaryKey } },
      );
    }

    const change: TableChange = { add: [], widen: [], addSystem: [], comment: owned ? comment : undefined };
    const changes: SchemaChange[] = [];
    const columns: StagedColumn[] = [];
    spec.columns.forEach((c, i) => {
      const current = this.findColumn(existing, ids[i]!.name);
      if (current !== undefined && current.type === undefined) {
        throw new DestinationError(
          'TRB_DEST_SCHEMA',
          `table ${qualified} column ${sql.quoteIdent(current.name)} has type ${current.nativeType}, which tributary does not write. ` +
            `Change the column's type or drop the table.`,
          { details: { stream, table: existing.name, column: current.name, type: current.nativeType } },
        );
      }
      const type = typeOf(i, current);
      columns.push({ name: current?.name ?? ids[i]!.name, source: c.name, type });
      if (current === undefined) {
        change.add.push({ name: ids[i]!.name, type });
        changes.push({ stream, kind: 'add_column', column: c.name, toType: type });
        if (c.sourcePath !== undefined)
          changes.push({ stream, kind: 'rename_collision', column: c.name, sourcePath: c.sourcePath });
      } else if (type !== current.type) {
        change.widen.push({ column: current, to: type });
      }
    });
    // Widenings are recorded before additions, in spec order.
    const widened: SchemaChange[] = change.widen.map((w) => ({
      stream,
      kind: 'widen_column',
      column: spec.columns[columns.findIndex((c) => c.name === w.column.name)]!.name,
      fromType: w.column.type,
      toType: w.to,
    }));
    for (const sys of SYSTEM_COLUMN_TYPES) {
      const current = this.findColumn(existing, sys.name);
      if (current === undefined) change.addSystem.push(sys.name);
      else if (current.type !== sys.type) {
        throw new DestinationError(
          'TRB_DEST_SCHEMA',
          `table ${qualified} has a column ${sql.quoteIdent(sys.name)} of type ${current.nativeType}; tributary uses that name for ` +
            `its ${sql.typeName(sys.type)} system column. Drop or rename the column, or sync into another schema.`,
          { details: { stream, table: existing.name, column: sys.name } },
        );
      }
    }
    const altered = await tables.alterTable(tx, existing, change);
    let shape = existing;
    if (altered) {
      shape = (await tables.readTable(tx, existing.name))!;
      pending.set(names.fold(existing.name), shape);
    }
    if (mapped.length > 0) await this.recordNames(tx, mapped);
    return { shape, columns, primaryKey, created: false, changes: [...widened, ...changes] };
  }

  /** Stage the rows, leave unchanged ones in place, upsert the rest. */
  private async writeRows(
    tx: T,
    batch: WriteBatch,
    prepared: Prepared,
    checked: CheckedRows,
  ): Promise<Pick<WriteResult, 'rowsWritten' | 'rowsUnchanged'>> {
    if (checked.rows.length === 0) return { rowsWritten: 0 };
    const { sql, names, staging, upsert } = this.dialect;
    const { shape, columns, primaryKey } = prepared;
    const carried = new Set(columns.map((c) => names.fold(c.name)));
    const system = new Set(SYSTEM_COLUMN_TYPES.map((s) => names.fold(s.name)));
    const source = await staging.stage(tx, columns, checked);
    const target = sql.qualify(shape.name);
    const wanted = batch.skipUnchangedBy;
    const by =
      wanted === undefined ? undefined : columns.find((c) => c.source === wanted || c.name === wanted)?.name;
    const unchangedBy =
      batch.mode !== 'replace' && !prepared.created && primaryKey.length > 0 ? by : undefined;
    let rowsUnchanged: number | undefined;
    const passId = batch.passId ?? null;
    if (unchangedBy !== undefined) {
      const touched = await tx.run(
        upsert.touchUnchangedSql({ target, source, primaryKey, unchangedBy, passId }),
      );
      rowsUnchanged = touched.rowsChanged;
    }
    const statements = upsert.upsertSql({
      target,
      source,
      columns: columns.map((c) => c.name),
      absentColumns: shape.columns
        .filter((c) => !carried.has(names.fold(c.name)) && !system.has(names.fold(c.name)))
        .map((c) => c.name),
      primaryKey,
      syncedAt: batch.syncedAt,
      passId,
      insertOnly: prepared.created,
      unchangedBy,
    });
    let rowsWritten = 0;
    for (const statement of statements) rowsWritten = (await tx.run(statement)).rowsChanged;
    await staging.clear(tx);
    return { rowsWritten, ...(rowsUnchanged === undefined ? {} : { rowsUnchanged }) };
  }

  // ---- replace ---------------------------------------------------------------------------------------

  /** Drop the live table and rename the side table into its place, marked as the stream's. */
  private async swap(
    tx: T,
    pending: Pending,
    stream: string,
    primaryKey: readonly string[],
    side: Identifier,
    target: Identifier,
  ): Promise<void> {
    const { tables, names } = this.dialect;
    const staged = await tables.readTable(tx, side.name);
    if (staged === undefined) return;
    const current = await tables.readTable(tx, target.name);
    if (current !== undefined) await tables.dropTable(tx, current.name);
    await tables.renameTable(tx, staged, target.name);
    const key = primaryKey.map((k) => names.identifier(k, 'column').name);
    await tables.setComment(tx, target.name, tables.markerComment({ stream }, key));
    if (target.mapped) await this.recordNames(tx, [{ kind: 'table', original: stream, name: target.name }]);
    // Both names changed meaning: forget them, so the next use reads the catalog.
    pending.set(names.fold(side.name), undefined);
    pending.set(names.fold(target.name), undefined);
  }

  /** Roll a journaled swap forward (databases whose DDL commits implicitly), then clear its record. */
  private async completeSwap(tx: T, pending: Pending, stream: string): Promise<void> {
    const { sql } = this.dialect;
    const swaps = sql.qualify(SWAPS_TABLE);
    const rows = await tx.query(
      `SELECT side_table, target_table FROM ${swaps} WHERE stream = ${sql.quoteLiteral(stream)}`,
    );
    const row = rows[0];
    if (row === undefined) return;
    const staged = await this.dialect.tables.readTable(tx, String(row.side_table));
    const key = staged?.primaryKey ?? [];
    await this.swap(
      tx,
      pending,
      stream,
      key,
      { original: stream, name: String(row.side_table), mapped: false },
      { original: stream, name: String(row.target_table), mapped: String(row.target_table) !== stream },
    );
    await tx.run(`DELETE FROM ${swaps} WHERE stream = ${sql.quoteLiteral(stream)}`);
  }

  // ---- helpers ---------------------------------------------------------------------------------------

  /**
   * One transaction through the dialect, with the shape cache: shapes read or changed inside it become
   * current when it commits, and a failed transaction forgets every cached shape.
   */
  private async transaction<R>(
    what: string,
    stream: string | undefined,
    fn: (tx: T, pending: Pending, attempt: number) => Promise<R>,
  ): Promise<R> {
    let pending: Pending = new Map();
    try {
      const result = await this.dialect.connection.transaction(what, stream, (tx, attempt) => {
        pending = new Map();
        return fn(tx, pending, attempt);
      });
      if (this.dialect.capabilities.cacheShapes) {
        for (const [key, shape] of pending) {
          if (shape === undefined) this.shapes.delete(key);
          else this.shapes.set(key, shape);
        }
      }
      return result;
    } catch (err) {
      this.shapes.clear();
      throw err;
    }
  }

  /** A table's shape: this transaction's, the cache's, or the catalog's. */
  private async shape(tx: T, pending: Pending, table: string): Promise<TableShape | undefined> {
    const key = this.dialect.names.fold(table);
    if (pending.has(key)) return pending.get(key);
    if (this.dialect.capabilities.cacheShapes) {
      const cached = this.shapes.get(key);
      if (cached !== undefined) return cached;
    }
    const shape = await this.dialect.tables.readTable(tx, table);
    if (shape !== undefined) pending.set(key, shape);
    return shape;
  }

  private findColumn(shape: TableShape, name: string): ShapeColumn | undefined {
    const want = this.dialect.names.fold(name);
    return shape.columns.find((c) => this.dialect.names.fold(c.name) === want);
  }

  private bookkeeping(table: keyof typeof BOOKKEEPING_TABLES): string {
    return this.dialect.sql.qualify(BOOKKEEPING_TABLES[table]);
  }

  private async saveState(tx: T, stream: string, state: string): Promise<void> {
    const { sql } = this.dialect;
    await tx.run(
      sql.mergeRowsSql(
        this.bookkeeping('state'),
        ['stream', 'state', 'updated_at'],
        [[sql.quoteLiteral(stream), sql.jsonLiteral(state), sql.now()]],
        ['stream'],
      ),
    );
  }

  /** Whether the stored state of `stream` is `state` (the same JSON value). */
  private async stateIs(tx: T, stream: string, state: StreamState): Promise<boolean> {
    const { sql } = this.dialect;
    const rows = await tx.query(
      `SELECT ${sql.asText('state')} AS state FROM ${this.bookkeeping('state')} WHERE stream = ${sql.quoteLiteral(stream)}`,
    );
    return (
      rows[0] !== undefined && isDeepStrictEqual(parseJson(rows[0].state), JSON.parse(JSON.stringify(state)))
    );
  }

  private async recordNames(tx: T, names: readonly MappedName[]): Promise<void> {
    const { sql } = this.dialect;
    await tx.run(
      sql.mergeRowsSql(
        sql.qualify(NAMES_TABLE),
        ['kind', 'original', 'truncated'],
        names.map((n) => [n.kind, n.original, n.name].map((v) => sql.quoteLiteral(v))),
        ['kind', 'original'],
        { truncated: 'keep' },
      ),
    );
  }

  private async logChanges(tx: T, runId: string | null, changes: readonly SchemaChange[]): Promise<void> {
    if (changes.length === 0) return;
    const { sql } = this.dialect;
    const rows = changes.map((c) => [
      ...[runId, c.stream, c.kind, c.column, c.fromType, c.toType, c.sourcePath].map((v) => sql.literal(v)),
      sql.now(),
    ]);
    await tx.run(
      `INSERT INTO ${this.bookkeeping('schemaChanges')} (run_id, stream, kind, column_name, from_type, to_type, source_path, changed_at) ` +
        `VALUES ${rows.map((r) => `(${r.join(', ')})`).join(', ')}`,
    );
  }
}

/** The side table's creation is an implementation detail of replace mode, not a change users see. */
function visible(changes: readonly SchemaChange[], replace: boolean): SchemaChange[] {
  return replace ? changes.filter((c) => c.kind !== 'create_table') : [...changes];
}

/** A `rename_collision` change for each new column whose name was disambiguated (see transforms.ts). */
function renames(stream: string, columns: readonly { name: string; sourcePath?: string }[]): SchemaChange[] {
  return columns.flatMap((c) =>
    c.sourcePath === undefined
      ? []
      : [{ stream, kind: 'rename_collision' as const, column: c.name, sourcePath: c.sourcePath }],
  );
}

function sameKey(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((k) => set.has(k));
}

function keyList(names: readonly string[], quoted: boolean): string {
  return names.length === 0 ? 'none' : `(${names.map((n) => (quoted ? JSON.stringify(n) : n)).join(', ')})`;
}

function notOurs(qualified: string, stream: string): DestinationError {
  return new DestinationError(
    'TRB_DEST_SCHEMA',
    `table ${qualified} exists but was not created by tributary; it is the name tributary stages ` +
      `replace-mode stream "${stream}" in. Drop or rename it.`,
    { details: { stream } },
  );
}

/** JSON as the driver returns it: text, or already parsed. */
function parseJson(v: unknown): unknown {
  return typeof v === 'string' ? JSON.parse(v) : v;
}

/**
 * A primary-key value as read back: a 64-bit integer arrives as bigint (DuckDB) or text (PostgreSQL); it is
 * a number where that is exact, else its text. Timestamps come back as ISO-8601 text.
 */
function keyValue(v: unknown, type: ShapeColumn['type']): Value {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v === null || v === undefined) return null;
  if (type === 'bigint' && typeof v === 'string' && Number.isSafeInteger(Number(v))) return Number(v);
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  return v instanceof Date ? v.toISOString() : String(v);
}

/** State as JSON text; a state that cannot be serialized is refused before the transaction starts. */
function stateText(stream: string, state: StreamState): string {
  try {
    const text = JSON.stringify(state);
    if (typeof text !== 'string') throw new Error('state is not a JSON object');
    return text;
  } catch (err) {
    throw new DestinationError(
      'TRB_DEST_WRITE',
      `stream "${stream}": state cannot be stored as JSON: ${err instanceof Error ? err.message : String(err)}`,
      { details: { stream }, cause: err },
    );
  }
}
