/**
 * Getting a batch into DuckDB in bulk: rows go into a TEMP staging table through DuckDB's Appender (never
 * one INSERT per row), and the upsert reads them from there. Ways to fill it, measured with
 * bench/duckdb-write.ts (numbers in docs/destinations/duckdb.md):
 *
 * - `appender` (default): one typed Appender call per value into a staging table with the batch's
 *   columns. The fastest measured, by a hair over `json`, and the plainest: every conversion is explicit
 *   in JS, and anything that does not convert throws.
 * - `json`: the batch as JSON arrays of 256 rows (V8's native JSON.stringify), one appended VARCHAR each;
 *   DuckDB's `json_transform` + `unnest` turn them back into typed rows. A few native calls per batch and
 *   little garbage; it relies on the row checks, because `json_transform` turns a value it cannot cast
 *   into NULL instead of failing. Within a few percent of `appender`, either way, run to run.
 *
 * Also measured and dropped: typed DataChunks (5–10% slower than `appender`), one JSON document per row
 * (~15% slower than arrays), and a prepared multi-row INSERT … VALUES (twenty times slower).
 *
 * Both run inside the write's transaction, so a rollback takes the staged rows with it, and both empty the
 * staging table before the commit, so nothing outlives a batch.
 */
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import type { ColumnType } from '../destination.js';
import type { DuckDbTuning } from './duckdb-connection.js';
import type { PreparedRows } from '../sql/dialect.js';
import { quoteIdent, quoteLiteral } from './duckdb-sql.js';

export type StagingMethod = NonNullable<DuckDbTuning['staging']>;

/** A column as staged: its name and the type it has in the target table (after any widening). */
export interface StageColumn {
  name: string;
  type: ColumnType;
}

export interface Stager {
  /** Create what staging needs, once per connection, outside any transaction (so no rollback undoes it). */
  prepare(conn: DuckDBConnection): Promise<void>;
  /**
   * Fill the staging table with the batch and return a parenthesised SELECT over it that yields one column
   * per entry of `columns` (the batch spec's columns, in order), with that name and the target's DuckDB type.
   */
  stage(conn: DuckDBConnection, columns: readonly StageColumn[], batch: PreparedRows): Promise<string>;
  /** Empty the staging table (same transaction), so no row data is kept between batches. */
  clear(conn: DuckDBConnection): Promise<void>;
}

export function createStager(method: StagingMethod): Stager {
  switch (method) {
    case 'appender':
      return appenderStager;
    case 'json':
      return jsonStager;
  }
}

const JSON_STAGE = '_tributary_stage_json';
const TYPED_STAGE = '_tributary_stage';
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
 * Rows per staged JSON document. DuckDB unnests small lists faster than big ones: 10,000-row documents
 * measured about 15% slower than 100–250-row ones, which still keep native calls to a few per batch.
 */
const ROWS_PER_DOCUMENT = 256;

const jsonStager: Stager = {
  async prepare(conn) {
    await conn.run(`CREATE TEMP TABLE IF NOT EXISTS ${tempTable(JSON_STAGE)} (j VARCHAR)`);
  },
  async stage(conn, columns, { rows }) {
    const appender = await conn.createAppender(JSON_STAGE, 'main', 'temp');
    closeAppender(appender, () => {
      for (let i = 0; i < rows.length; i += ROWS_PER_DOCUMENT) {
        // Rows were checked to carry no field the spec lacks, so the documents hold exactly its columns.
        appender.appendVarchar(JSON.stringify(rows.slice(i, i + ROWS_PER_DOCUMENT)));
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

/** Append the batch's values row by row, one typed call per value (reading the flat array, not the rows). */
function appendRows(appender: DuckDBAppender, columns: readonly StageColumn[], batch: PreparedRows): void {
  const types = columns.map((c) => stageType(c.type));
  const { values, width } = batch;
  const count = batch.rows.length;
  for (let r = 0; r < count; r++) {
    const base = r * width;
    for (let c = 0; c < width; c++) {
      const v = values[base + c];
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

const appenderStager: Stager = {
  async prepare() {
    // The staging table has the batch's columns, so each write creates its own.
  },
  async stage(conn, columns, batch) {
    const defs = columns.map((c) => `${quoteIdent(c.name)} ${stageType(c.type)}`).join(', ');
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(TYPED_STAGE)} (${defs})`);
    const appender = await conn.createAppender(TYPED_STAGE, 'main', 'temp');
    closeAppender(appender, () => appendRows(appender, columns, batch));
    const select = columns.map((c) => selectColumn(quoteIdent(c.name), c)).join(', ');
    return `(SELECT ${select} FROM ${tempTable(TYPED_STAGE)})`;
  },
  async clear(conn) {
    await conn.run(`DROP TABLE IF EXISTS ${tempTable(TYPED_STAGE)}`);
  },
};
