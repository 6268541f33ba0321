/**
 * One stream of an Airbyte load: how its records become rows (the same ColumnTracker the engine uses), what
 * keys them, and the two buffers that keep exactly-once: `pending` rows arrived after the stream's last
 * STATE (no state covers them yet); a STATE hands them to the stream's `StreamWriter` (the engine's batcher),
 * which commits them with that state.
 *
 * Keys, by destination_sync_mode:
 *   - append_dedup: the primary key (catalog `primary_key`, else `source_defined_primary_key`); with none, a
 *     deterministic content key: `_airbyte_key` = sha256 of the record's canonical JSON (identical records
 *     collapse into one row, and a re-delivered record lands once).
 *   - append: a generated `_airbyte_key` = `<load id>:<stream>:<n>`, unique per record, so every record is a
 *     new row. A crashed load rolls back what no STATE covered; the re-run's rows get new keys.
 *   - overwrite: the primary key when one is known (a record read twice in one pass lands once), else the
 *     generated key; rows go to a side table that replaces the stream's table when the stream completes.
 * A nested primary-key path (["a","b"]) becomes the column `a_b`.
 */
import { createHash } from 'node:crypto';
import { SourceError } from '../errors.js';
import type { ColumnType, Row, TableSpec, WriteMode } from '../destinations/destination.js';
import {
  ColumnTracker,
  type StoredStreamState,
  type StreamWarning,
  type StreamWriter,
  type SyncMode,
  toStreamState,
} from '../engine/index.js';
import { isExactNumber } from '../util/exact-number.js';
import type { AirbyteMessage } from './protocol.js';

export const KEY_COLUMN = '_airbyte_key';

export type LoadMode = 'append' | 'overwrite' | 'append_dedup';

export type KeyPlan =
  | { kind: 'pk'; paths: string[][]; columns: string[] }
  | { kind: 'content' }
  | { kind: 'generated' };

export interface StreamLoadSpec {
  name: string;
  namespace?: string;
  mode: LoadMode;
  syncMode: SyncMode;
  primaryKey: string[][];
  declaredColumns: Record<string, ColumnType>;
  /** Whether the stream is in a configured catalog (else it was met first in the input). */
  configured: boolean;
}

/** The part of StoredStreamState.source the loader keeps: the last committed Airbyte state. */
export interface LoaderCheckpoint extends Record<string, unknown> {
  /** The STATE message (without stats) that covers the committed rows; absent before the first. */
  airbyte?: Record<string, unknown>;
  /** GLOBAL and LEGACY states: their order across the destination, to export the newest. */
  airbyte_seq?: number;
}

export class StreamLoad {
  readonly name: string;
  readonly namespace: string | undefined;
  readonly mode: LoadMode;
  readonly syncMode: SyncMode;
  readonly writeMode: WriteMode;
  readonly key: KeyPlan;
  readonly tracker: ColumnTracker;
  /** Replace mode: the pass rows are staged under (resumed from the stored state when unfinished). */
  readonly pass: string | undefined;
  readonly configured: boolean;

  /** Writes the covered rows with their state, in batches. */
  readonly writer: StreamWriter;
  pending: Row[] = [];
  pendingBytes = 0;
  /** The checkpoint the covered rows are committed with; undefined when no STATE arrived since the last commit. */
  readyCheckpoint: LoaderCheckpoint | undefined;
  /** STATE messages to echo once the covered rows are committed, with how many records each covers. */
  echo: { message: AirbyteMessage; records: number }[] = [];
  /** Records since the last STATE (for the echo's destinationStats). */
  sinceState = 0;
  /** What is committed now. */
  committed: StoredStreamState | undefined;
  complete = false;
  records = 0;
  rowsWritten = 0;
  /** What the destination changed in values to store them (one entry per warning code). */
  readonly warnings: StreamWarning[] = [];
  states = 0;
  discarded = 0;
  private generated = 0;

  constructor(
    spec: StreamLoadSpec,
    private readonly loadId: string,
    stored: StoredStreamState | undefined,
    newPass: () => string,
    writerFor: (plan: {
      table: () => TableSpec;
      mode: WriteMode;
      passId: string | undefined;
    }) => StreamWriter,
  ) {
    this.name = spec.name;
    this.namespace = spec.namespace;
    this.mode = spec.mode;
    this.syncMode = spec.syncMode;
    this.configured = spec.configured;
    this.writeMode = spec.mode === 'overwrite' ? 'replace' : 'upsert';
    this.committed = stored;
    if (spec.mode === 'append') this.key = { kind: 'generated' };
    else if (spec.primaryKey.length > 0)
      this.key = { kind: 'pk', paths: spec.primaryKey, columns: spec.primaryKey.map((p) => p.join('_')) };
    else this.key = { kind: spec.mode === 'overwrite' ? 'generated' : 'content' };
    const declared = { ...spec.declaredColumns };
    if (this.key.kind !== 'pk') declared[KEY_COLUMN] = 'varchar';
    this.tracker = new ColumnTracker(
      spec.name,
      this.key.kind === 'pk' ? this.key.columns : [KEY_COLUMN],
      declared,
    );
    if (this.writeMode === 'replace') {
      const resumable = stored && !stored.complete && stored.writeMode === 'replace' && stored.pass;
      this.pass = resumable ? stored.pass : newPass();
    }
    this.writer = writerFor({ table: () => this.tracker.spec(), mode: this.writeMode, passId: this.pass });
  }

  /** Turn a RECORD's data into a row and buffer it as pending. `line` is for error messages. */
  add(data: Record<string, unknown>, bytes: number, line: number): void {
    if (KEY_COLUMN in data && this.key.kind !== 'pk') {
      throw new SourceError(
        'TRB_SOURCE_RECORD',
        `input line ${line}: a record of stream "${this.name}" has a field named ${KEY_COLUMN}, the column the loader keys this stream by`,
        { details: { line, stream: this.name } },
      );
    }
    let record = data;
    switch (this.key.kind) {
      case 'pk': {
        for (let i = 0; i < this.key.paths.length; i++) {
          const path = this.key.paths[i]!;
          const value = path.length === 1 ? data[path[0]!] : dig(data, path);
          if (value === null || value === undefined || value === '') {
            throw new SourceError(
              'TRB_SOURCE_RECORD',
              `input line ${line}: a record of stream "${this.name}" has no primary key "${path.join('.')}" (value ${JSON.stringify(value ?? null)})`,
              { details: { line, stream: this.name, key: path } },
            );
          }
          if (path.length > 1) {
            if (record === data) record = { ...data };
            record[this.key.columns[i]!] = value;
          }
        }
        break;
      }
      case 'content':
        record = { ...data, [KEY_COLUMN]: contentKey(data) };
        break;
      case 'generated':
        record = { ...data, [KEY_COLUMN]: `${this.loadId}:${this.name}:${this.generated++}` };
        break;
    }
    this.pending.push(this.tracker.toRow(record));
    this.pendingBytes += bytes;
    this.sinceState++;
    this.records++;
  }

  /** A STATE covers everything pending: it goes to the writer, to be committed with `checkpoint`. */
  cover(checkpoint: LoaderCheckpoint, echo?: AirbyteMessage): void {
    this.readyCheckpoint = checkpoint;
    this.writer.add(this.pending, this.pendingBytes, toStreamState(this.storedState(false)));
    this.pending = [];
    this.pendingBytes = 0;
    if (echo) this.echo.push({ message: echo, records: this.sinceState });
    this.sinceState = 0;
    this.states++;
  }

  /** The source said the stream is complete: what is pending is final, even without a STATE after it. */
  promotePending(): void {
    if (this.pending.length > 0)
      this.writer.add(this.pending, this.pendingBytes, toStreamState(this.storedState(false)));
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Drop what no STATE covers. Returns how many records were dropped. */
  discardPending(): number {
    const n = this.pending.length;
    this.discarded += n;
    this.pending = [];
    this.pendingBytes = 0;
    this.sinceState = 0;
    return n;
  }

  /** The checkpoint to commit with now: the newest STATE of this load, else what was committed before. */
  checkpoint(): LoaderCheckpoint {
    return this.readyCheckpoint ?? ((this.committed?.source ?? {}) as LoaderCheckpoint);
  }

  storedState(complete: boolean): StoredStreamState {
    return {
      version: 1,
      mode: this.syncMode,
      source: this.checkpoint(),
      complete,
      writeMode: this.writeMode,
      ...(this.pass === undefined ? {} : { pass: this.pass }),
    };
  }
}

function dig(data: Record<string, unknown>, path: string[]): unknown {
  let v: unknown = data;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}

/** sha256 of the record's canonical JSON (keys sorted at every level), as 32 hex digits. */
export function contentKey(data: unknown): string {
  return createHash('sha256').update(canonicalJson(data)).digest('hex').slice(0, 32);
}

export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (isExactNumber(v)) return v.text;
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(v).sort();
  return `{${keys
    .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}
