/**
 * Getting a batch into DuckDB in bulk: rows go into a TEMP staging table through the Appender (never one
 * INSERT per row), and the upsert reads them from there. Three ways to fill it were measured
 * (bench/duckdb-write.ts, docs/destinations/duckdb.md); `json` is the default because it was fastest:
 *
 * - `json`: the whole batch as one JSON array (V8's native JSON.stringify), appended as one VARCHAR, and
 *   DuckDB's `json_transform` + `unnest` turn it back into typed rows. One native call per batch, and the
 *   least garbage for V8 to collect. (One document per row was measured too: ~20% slower, mostly GC.)
 * - `appender`: one typed Appender call per value. Fifteen-plus native calls per row.
 * - `chunk`: typed DataChunks of 2048 rows, one column at a time. Numbers skip per-value native calls,
 *   strings do not.
 *
 * All three run inside the write's transaction, so a rollback takes the staged rows with it, and all
 * three empty the staging table before the commit, so nothing outlives a batch.
 */
import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  type DuckDBType,
  type DuckDBValue,
  VARCHAR,
} from '@duckdb/node-api';
import type { ColumnType, Row, Value } from '../destination.js';
import { isInheritedName, ownValue } from './duckdb-rows.js';
import { quoteIdent, quoteLiteral } from './duckdb-sql.js';

export type StagingMethod = 'json' | 'appender' | 'chunk';

/** A column as staged: its name and the type it has in the target table (after any widening). */
export interface StageColumn {
  name: string;
  type: ColumnType;
}

export interface Stager {
  /** Create what staging needs, once per connection, outside any transaction (so no rollback undoes it). */
  prepare(conn: DuckDBConnection): Promise<void>;
  /**
   * Fill the staging table with `rows` and return a parenthesised SELECT over it that yields one column
   * per entry of `columns`, with that name and the target's DuckDB type.
   */
  stage(conn: DuckDBConnection, columns: readonly StageColumn[], rows: readonly Row[]): Promise<string>;
  /** Empty the staging table (same transaction), so no row data is kept between batches. */
  clear(conn: DuckDBConnection): Promise<void>;
}

export function createStager(method: StagingMethod): Stager {
  switch (method) {
    case 'json':
      return jsonStager;
    case 'appender':
      return typedStager(appendRows);
    case 'chunk':
      return typedStager(appendChunks);
  }
}

const JSON_STAGE = '_tributary_stage_json';
const TYPED_STAGE = '_tributary_stage_typed';
const tempTable = (name: string) => `temp.main.${quoteIdent(name)}`;

/** What a column is staged as: timestamps stay text and are cast by DuckDB, which parses ISO-8601 offsets. */
function stageType(type: ColumnType): 'BOOLEAN' | 'BIGINT' | 'DOUBLE' | 'VARCHAR' {
  switch (type) {
    case 'boolean':
      return 'BOOLEAN';
    case 'bigint':
      return 'BIGINT';
    case 'double':
      return 'DOUBLE';
    default:
      return 'VARCHAR';
  }
}

/** The staged column as the target wants it. */
function selectColumn(expr: string, c: StageColumn): string {
  const value = c.type === 'timestamp' ? `CAST(${expr} AS TIMESTAMPTZ)` : expr;
  return `${value} AS ${quoteIdent(c.name)}`;
}

/** Close an appender (which flushes it); on failure discard what it holds before rethrowing. */
function closeAppender(appender: DuckDBAppender, fill: () => void): void {
  try {
    fill();
    appender.closeSync();
  } catch (err) {
    try {
      appender.clear();
      appender.closeSync();
    } catch {
      // The original error is the one worth reporting.
    }
    throw err;
  }
}

/**
 * Rows per staged JSON document. One document per batch is fastest (one native call, one string), but
 * a V8 string tops out near 512M characters, so very large batches are cut into several documents.
 */
const ROWS_PER_DOCUMENT = 10_000;

const jsonStager: Stager = {
  async prepare(conn) {
    await conn.run(`CREATE TEMP TABLE IF NOT EXISTS ${tempTable(JSON_STAGE)} (j VARCHAR)`);
  },
  async stage(conn, columns, rows) {
    const appender = await conn.createAppender(JSON_STAGE, 'main', 'temp');
    closeAppender(appender, () => {
      for (let i = 0; i < rows.length; i += ROWS_PER_DOCUMENT) {
        // Rows were checked to carry no field the spec lacks, so the documents hold exactly its columns.
        const part =
          i === 0 && rows.length <= ROWS_PER_DOCUMENT ? rows : rows.slice(i, i + ROWS_PER_DOCUMENT);
        appender.appendVarchar(JSON.stringify(part));
        appender.endRow();
      }
    });
    // json_transform takes a JSON description of the type: here a list of structs whose keys are the
    // column names (JSON-escaped); unnest turns each document back into rows.
    const struct = `{${columns.map((c) => `${JSON.stringify(c.name)}:${JSON.stringify(stageType(c.type))}`).join(',')}}`;
    const select = columns.map((c) => selectColumn(`s.${quoteIdent(c.name)}`, c)).join(', ');
    return (
      `(SELECT ${select} FROM (SELECT unnest(json_transform(j, ${quoteLiteral(`[${struct}]`)})) AS s ` +
      `FROM ${tempTable(JSON_STAGE)}))`
    );
  },
  async clear(conn) {
    await conn.run(`DELETE FROM ${tempTable(JSON_STAGE)}`);
  },
};

/** A value converted to what a typed staging column of `type` takes. Rows were validated beforehand. */
function typedValue(value: Value | undefined, type: ColumnType): DuckDBValue {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'bigint':
      return BigInt(value as number | string);
    case 'double':
      return typeof value === 'number' ? value : Number(value);
    case 'boolean':
      return value as boolean;
    default:
      return typeof value === 'string' ? value : String(value);
  }
}

type Fill = (appender: DuckDBAppender, columns: readonly StageColumn[], rows: readonly Row[]) => void;

function appendRows(appender: DuckDBAppender, columns: readonly StageColumn[], rows: readonly Row[]): void {
  const names = columns.map((c) => c.name);
  const types = columns.map((c) => stageType(c.type));
  const inherited = names.map(isInheritedName);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    for (let c = 0; c < names.length; c++) {
      const v = inherited[c] ? ownValue(row, names[c]!) : row[names[c]!];
      if (v === null || v === undefined) {
        appender.appendNull();
        continue;
      }
      switch (types[c]) {
        case 'BIGINT':
          appender.appendBigInt(BigInt(v as number | string));
          break;
        case 'DOUBLE':
          appender.appendDouble(typeof v === 'number' ? v : Number(v));
          break;
        case 'BOOLEAN':
          appender.appendBoolean(v as boolean);
          break;
        default:
          appender.appendVarchar(typeof v === 'string' ? v : String(v));
      }
    }
    appender.endRow();
  }
}

const CHUNK_TYPES: Record<ReturnType<typeof stageType>, DuckDBType> = { BIGINT, BOOLEAN, DOUBLE, VARCHAR };
/** DuckDB's vector size: a data chunk holds at most this many rows. */
const CHUNK_ROWS = 2048;

function appendChunks(appender: DuckDBAppender, columns: readonly StageColumn[], rows: readonly Row[]): void {
  const types = columns.map((c) => CHUNK_TYPES[stageType(c.type)]);
  const read = columns.map((c) =>
    isInheritedName(c.name) ? (row: Row) => ownValue(row, c.name) : (row: Row) => row[c.name],
  );
  for (let offset = 0; offset < rows.length; offset += CHUNK_ROWS) {
    const n = Math.min(CHUNK_ROWS, rows.length - offset);
    const chunk = DuckDBDataChunk.create(types, n);
    chunk.setColumns(
      columns.map((c, k) => {
        const values = new Array<DuckDBValue>(n);
        for (let j = 0; j < n; j++) values[j] = typedValue(read[k]!(rows[offset + j]!), c.type);
        return values;
      }),
    );
    appender.appendDataChunk(chunk);
  }
}

function typedStager(fill: Fill): Stager {
  return {
    async prepare() {
      // The typed staging table has the batch's columns, so each write creates its own.
    },
    async stage(conn, columns, rows) {
      const defs = columns.map((c) => `${quoteIdent(c.name)} ${stageType(c.type)}`).join(', ');
      await conn.run(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(TYPED_STAGE)} (${defs})`);
      const appender = await conn.createAppender(TYPED_STAGE, 'main', 'temp');
      closeAppender(appender, () => fill(appender, columns, rows));
      const select = columns.map((c) => selectColumn(quoteIdent(c.name), c)).join(', ');
      return `(SELECT ${select} FROM ${tempTable(TYPED_STAGE)})`;
    },
    async clear(conn) {
      await conn.run(`DROP TABLE IF EXISTS ${tempTable(TYPED_STAGE)}`);
    },
  };
}
