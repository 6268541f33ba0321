/**
 * The bookkeeping tables of a namespace, described once; each dialect renders the column kinds in its own
 * types (dialect.ts, `BookkeepingType`). docs/architecture.md: "Tables in the destination".
 */
import { BOOKKEEPING_TABLES } from '../destination.js';
import type { BookkeepingColumn, BookkeepingType } from './dialect.js';

/** Name mappings of a dialect with identifier limits: original name → stored name. */
export const NAMES_TABLE = '_tributary_names';

/**
 * Replace-mode swaps committed but not yet done, on a database whose DDL commits implicitly (MySQL): the
 * state that ends the pass commits together with a row here; the rename follows; the row is deleted. A row
 * still here at open means the side table was complete: the swap is rolled forward.
 */
export const SWAPS_TABLE = '_tributary_swaps';

export interface BookkeepingTable {
  name: string;
  columns: BookkeepingColumn[];
  /** Columns added after the table first shipped: added to an older table at open. */
  later?: string[];
}

export function bookkeepingTables(opts: { mapsNames: boolean; journalsSwaps: boolean }): BookkeepingTable[] {
  const tables: BookkeepingTable[] = [
    {
      name: BOOKKEEPING_TABLES.state,
      columns: [
        { name: 'stream', type: 'key', primaryKey: true },
        { name: 'state', type: 'json', notNull: true },
        { name: 'updated_at', type: 'timestamp', notNull: true },
      ],
    },
    {
      name: BOOKKEEPING_TABLES.runs,
      columns: [
        { name: 'run_id', type: 'key', primaryKey: true },
        { name: 'connector', type: 'text', notNull: true },
        { name: 'started_at', type: 'timestamp', notNull: true },
        { name: 'ended_at', type: 'timestamp' },
        { name: 'status', type: 'text', notNull: true },
        { name: 'records_written', type: 'bigint' },
        { name: 'records_deleted', type: 'bigint' },
        { name: 'error', type: 'text' },
        { name: 'summary', type: 'json' },
      ],
    },
    {
      name: BOOKKEEPING_TABLES.schemaChanges,
      columns: [
        { name: 'run_id', type: 'text' },
        { name: 'stream', type: 'text', notNull: true },
        { name: 'kind', type: 'text', notNull: true },
        { name: 'column_name', type: 'text' },
        { name: 'from_type', type: 'text' },
        { name: 'to_type', type: 'text' },
        { name: 'changed_at', type: 'timestamp', notNull: true },
        // Tables created before rename_collision had no source_path.
        { name: 'source_path', type: 'text' },
      ],
      later: ['source_path'],
    },
    {
      name: BOOKKEEPING_TABLES.owner,
      columns: [
        { name: 'connector', type: 'text', notNull: true },
        { name: 'connection', type: 'text' },
        { name: 'claimed_at', type: 'timestamp', notNull: true },
      ],
    },
  ];
  if (opts.mapsNames) {
    tables.push({
      name: NAMES_TABLE,
      columns: [
        { name: 'kind', type: 'key', notNull: true, primaryKey: true },
        { name: 'original', type: 'key', notNull: true, primaryKey: true },
        { name: 'truncated', type: 'text', notNull: true },
      ],
    });
  }
  if (opts.journalsSwaps) {
    tables.push({
      name: SWAPS_TABLE,
      columns: [
        { name: 'stream', type: 'key', primaryKey: true },
        { name: 'side_table', type: 'text', notNull: true },
        { name: 'target_table', type: 'text', notNull: true },
      ],
    });
  }
  return tables;
}

/** A bookkeeping column's DDL, with the dialect's quoting and type names. */
export function bookkeepingColumnDdl(
  c: BookkeepingColumn,
  quoteIdent: (name: string) => string,
  types: Readonly<Record<BookkeepingType, string>>,
): string {
  return `${quoteIdent(c.name)} ${types[c.type]}${c.notNull ? ' NOT NULL' : ''}`;
}

/** `CREATE TABLE` for a bookkeeping table (its key as a PRIMARY KEY constraint). */
export function createBookkeepingSql(
  qualified: string,
  columns: readonly BookkeepingColumn[],
  quoteIdent: (name: string) => string,
  types: Readonly<Record<BookkeepingType, string>>,
): string {
  const key = columns.filter((c) => c.primaryKey).map((c) => quoteIdent(c.name));
  const defs = columns.map((c) => bookkeepingColumnDdl(c, quoteIdent, types));
  if (key.length > 0) defs.push(`PRIMARY KEY (${key.join(', ')})`);
  return `CREATE TABLE ${qualified} (${defs.join(', ')})`;
}
