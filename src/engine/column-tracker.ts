/**
 * Turning source records into destination rows: nested values become JSON text, and each stream's column
 * set and types grow as values arrive (declared types first, then inference, then safe widening). This runs
 * for every record, so it is written for speed.
 */
import {
  type Column,
  type ColumnType,
  type Row,
  type TableSpec,
  widenType,
} from '../destinations/destination.js';
import { ExactNumber, stringifyJson } from '../util/exact-number.js';
import { isIsoDateTime } from '../util/iso-date.js';
import { renamedFieldsOf } from './renamed-fields.js';
import type { SourceRecord } from './source.js';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

export class ColumnTracker {
  private readonly types = new Map<string, ColumnType>();
  /** Columns that held an integer beyond 2^53: a double arriving later widens them to decimal, never double. */
  private readonly exactIntegers = new Set<string>();
  /** Columns whose names were disambiguated after a flattening collision: column → source path. */
  private readonly sourcePaths = new Map<string, string>();
  private version = 0;
  private cachedSpec: TableSpec | undefined;
  private cachedVersion = -1;
  /**
   * A stream without a schema file: every column is inferred from its values (schema-inference.ts has the
   * same rules). Date-time strings make timestamp columns, the primary key's type comes from its values, and
   * a column is created on its first non-null value, so a null first does not pin it to varchar.
   */
  private readonly infer: boolean;

  constructor(
    readonly stream: string,
    readonly primaryKey: string[],
    declared: Record<string, ColumnType>,
    opts: { infer?: boolean } = {},
  ) {
    this.infer = opts.infer === true;
    if (!this.infer) for (const k of primaryKey) if (!(k in declared)) this.types.set(k, 'varchar');
    for (const [name, type] of Object.entries(declared)) this.types.set(name, type);
  }

  /**
   * Convert a record to a row, widening column types as needed. The record is converted in place (sources
   * hand the engine records they no longer use): one object per record instead of two.
   */
  toRow(record: SourceRecord): Row {
    let hasUndefined = false;
    for (const key in record) {
      const v = record[key] as unknown;
      if (v === undefined) {
        hasUndefined = true;
        continue;
      }
      const current = this.types.get(key);
      if (current === undefined) this.noteRename(record, key);
      let needed: ColumnType;
      if (v !== null && typeof v === 'object') {
        if (v instanceof ExactNumber) {
          // An exact number goes on as its text, in a column type that holds it.
          needed = this.exactType(key, v, current);
          record[key] = v.text;
        } else {
          record[key] = stringifyJson(v);
          needed = 'varchar';
        }
      } else if (v === null) {
        if (current === undefined) {
          // Inferring, a null says nothing about the type: the column waits for a value (a row without
          // the field stores NULL in it, as this null would).
          if (this.infer) {
            hasUndefined = true;
            record[key] = undefined;
          } else this.setType(key, 'varchar', true);
        }
        continue;
      } else {
        needed = valueType(v as string | number | boolean, current, this.infer);
        if (needed === 'double' && current === 'bigint' && this.exactIntegers.has(key)) needed = 'decimal';
      }
      if (current === undefined) this.setType(key, needed, true);
      else if (needed !== current) {
        const widened = widenType(current, needed);
        if (widened !== current) this.setType(key, widened, false);
      }
    }
    if (hasUndefined) for (const key in record) if (record[key] === undefined) delete record[key];
    return record as Row;
  }

  /** The type an exact number needs: bigint within int64 (unless the column holds doubles), else decimal. */
  private exactType(key: string, v: ExactNumber, current: ColumnType | undefined): ColumnType {
    if (!v.isInt64) return 'decimal';
    this.exactIntegers.add(key);
    return current === 'double' ? 'decimal' : 'bigint';
  }

  private noteRename(record: SourceRecord, key: string): void {
    const renamed = renamedFieldsOf(record);
    const path = renamed?.[key];
    if (path !== undefined && !this.sourcePaths.has(key)) {
      this.sourcePaths.set(key, path);
      this.version++;
    }
  }

  private setType(name: string, type: ColumnType, _isNew: boolean): void {
    this.types.set(name, type);
    this.version++;
  }

  /** The table as it must be for every row converted so far. */
  spec(): TableSpec {
    if (this.cachedVersion !== this.version || !this.cachedSpec) {
      // Inferring, a key column no record has typed yet (an empty first batch) is text, as when declared.
      if (this.infer) for (const k of this.primaryKey) if (!this.types.has(k)) this.types.set(k, 'varchar');
      const columns: Column[] = [];
      for (const [name, type] of this.types) {
        const sourcePath = this.sourcePaths.get(name);
        columns.push(sourcePath === undefined ? { name, type } : { name, type, sourcePath });
      }
      this.cachedSpec = { stream: this.stream, primaryKey: this.primaryKey, columns };
      this.cachedVersion = this.version;
    }
    return this.cachedSpec;
  }

  /** Take the types of an existing table into account (so a later sync never narrows). */
  seed(columns: Column[]): void {
    for (const c of columns) {
      const cur = this.types.get(c.name);
      this.setType(c.name, cur ? widenType(cur, c.type) : c.type, cur === undefined);
    }
  }
}

/**
 * The column type a value needs, given the column's current type (so declared timestamps stay timestamps).
 * Inferring, a date-time string with a zone makes (and keeps) a timestamp column; declared timestamp fields
 * were normalised to UTC by the `utc_timestamps` transform, so there only UTC text stays a timestamp.
 */
function valueType(
  v: string | number | boolean,
  current: ColumnType | undefined,
  infer: boolean,
): ColumnType {
  switch (typeof v) {
    case 'boolean':
      return 'boolean';
    case 'number':
      if (current === 'double') return 'double';
      return Number.isSafeInteger(v) ? 'bigint' : 'double';
    default:
      if (infer)
        return (current === undefined || current === 'timestamp') && isIsoDateTime(v)
          ? 'timestamp'
          : 'varchar';
      if (current === 'timestamp') return ISO_UTC.test(v) ? 'timestamp' : 'varchar';
      return 'varchar';
  }
}
