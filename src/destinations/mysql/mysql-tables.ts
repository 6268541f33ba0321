/**
 * Tables in MySQL/MariaDB (dialect role `DialectTables`): read a table's shape from information_schema,
 * create stream and bookkeeping tables, and evolve them.
 *
 * DDL commits implicitly here, so the protocol runs it before the batch transaction, and every step must be
 * safe to cut short and run again. Adding columns is one ALTER TABLE (atomic). Widening rebuilds the table
 * aside and renames it into place: CREATE … LIKE, MODIFY the columns, INSERT … SELECT with the conversions
 * (booleans and timestamps need expressions, which MODIFY cannot take), then one atomic RENAME TABLE. Cut
 * short before the rename, the table is as it was and the next attempt starts the copy again; after it, the
 * widening is done. (MODIFY COLUMN copies the table for a type change anyway, so this costs no more.)
 */
import { SYSTEM_COLUMNS } from '../destination.js';
import type {
  BookkeepingColumn,
  BookkeepingType,
  ColumnDef,
  DialectTables,
  TableChange,
  TableShape,
} from '../sql/dialect.js';
import { bookkeepingColumnDdl, createBookkeepingSql } from '../sql/bookkeeping.js';
import { SYSTEM_COLUMN_TYPES } from '../sql/sql-destination.js';
import { markerComment, type TableMarker } from '../table-marker.js';
import { derivedIdentifier, quoteIdent } from './mysql-names.js';
import type { MysqlTx } from './mysql-session.js';
import { type MysqlSql, quoteLiteral } from './mysql-sql.js';
import { columnDefinition, columnTypeFromMysql, keyChars, widenExpression } from './mysql-types.js';

const BOOKKEEPING_TYPE: Record<Exclude<BookkeepingType, 'key'>, string> = {
  text: 'LONGTEXT',
  json: 'LONGTEXT',
  timestamp: 'DATETIME(6)',
  bigint: 'BIGINT',
};

export class MysqlTables implements DialectTables<MysqlTx> {
  constructor(
    private readonly schema: string,
    private readonly sql: MysqlSql,
    /** The table options every table gets (engine, NO PAD binary collation, known once the server is). */
    private readonly tableOptions: () => string,
  ) {}

  async readTable(tx: MysqlTx, table: string): Promise<TableShape | undefined> {
    // information_schema compares names case-insensitively; MySQL on Linux does not: compare as binary.
    const where = `TABLE_SCHEMA = ${quoteLiteral(this.schema)} AND BINARY TABLE_NAME = BINARY ${quoteLiteral(table)}`;
    const [info] = await tx.query(
      `SELECT TABLE_NAME AS name, TABLE_TYPE AS kind, TABLE_COMMENT AS comment FROM information_schema.TABLES WHERE ${where}`,
    );
    if (info === undefined) return undefined;
    const columns = await tx.query(
      `SELECT COLUMN_NAME AS name, DATA_TYPE AS dt, COLUMN_TYPE AS ct, COLUMN_KEY AS k FROM information_schema.COLUMNS
        WHERE ${where} ORDER BY ORDINAL_POSITION`,
    );
    const key = await tx.query(
      `SELECT COLUMN_NAME AS name FROM information_schema.STATISTICS WHERE ${where} AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`,
    );
    return {
      name: String(info.name),
      comment: info.comment === '' || info.comment === null ? null : String(info.comment),
      columns: columns.map((c) => ({
        name: String(c.name),
        type: columnTypeFromMysql(String(c.dt), String(c.ct), c.k === 'PRI'),
        nativeType: String(c.ct),
      })),
      primaryKey: key.map((k) => String(k.name)),
      ...(info.kind === 'BASE TABLE' ? {} : { notATable: String(info.kind).toLowerCase() }),
    };
  }

  async tableComments(tx: MysqlTx): Promise<(string | null)[]> {
    const rows = await tx.query(
      `SELECT TABLE_COMMENT AS c FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${quoteLiteral(this.schema)}`,
    );
    return rows.map((r) => (r.c === '' || r.c === null ? null : String(r.c)));
  }

  async createTable(
    tx: MysqlTx,
    table: string,
    columns: readonly ColumnDef[],
    primaryKey: readonly string[],
    comment: string,
  ): Promise<void> {
    const key = new Set(primaryKey);
    const defs = [
      ...columns.map(
        (c) => `${quoteIdent(c.name)} ${columnDefinition(c.type, key.has(c.name) ? key.size : undefined)}`,
      ),
      ...SYSTEM_COLUMN_TYPES.map((s) => `${quoteIdent(s.name)} ${systemDefinition(s.name)}`),
    ];
    if (primaryKey.length > 0) defs.push(`PRIMARY KEY (${primaryKey.map(quoteIdent).join(', ')})`);
    await tx.run(
      `CREATE TABLE ${this.sql.qualify(table)} (${defs.join(', ')}) ${this.tableOptions()} COMMENT = ${quoteLiteral(comment)}`,
    );
  }

  async alterTable(tx: MysqlTx, shape: TableShape, change: TableChange): Promise<boolean> {
    const actions = [
      ...change.add.map((c) => `ADD COLUMN ${quoteIdent(c.name)} ${columnDefinition(c.type, undefined)}`),
      ...change.addSystem.map((name) => `ADD COLUMN ${quoteIdent(name)} ${systemDefinition(name)}`),
    ];
    if (change.comment !== undefined && change.comment !== shape.comment)
      actions.push(`COMMENT = ${quoteLiteral(change.comment)}`);
    // Nothing to do must run nothing: any DDL here would commit the batch transaction half-way.
    if (change.widen.length === 0) {
      if (actions.length > 0)
        await tx.run(`ALTER TABLE ${this.sql.qualify(shape.name)} ${actions.join(', ')}`);
      return actions.length > 0;
    }
    const live = this.sql.qualify(shape.name);
    const aside = this.sql.qualify(derivedIdentifier('_tributary_widen_', shape.name, 'table').name);
    const old = this.sql.qualify(derivedIdentifier('_tributary_old_', shape.name, 'table').name);
    const key = new Set(shape.primaryKey);
    const widen = new Map(change.widen.map((w) => [w.column.name, w]));
    for (const w of change.widen) {
      const size = key.has(w.column.name) ? key.size : undefined;
      actions.unshift(`MODIFY COLUMN ${quoteIdent(w.column.name)} ${columnDefinition(w.to, size)}`);
    }
    const names = shape.columns.map((c) => quoteIdent(c.name));
    const values = shape.columns.map((c) => {
      const w = widen.get(c.name);
      return w === undefined ? quoteIdent(c.name) : widenExpression(quoteIdent(c.name), w.column.type!, w.to);
    });
    await tx.run(`DROP TABLE IF EXISTS ${aside}, ${old}`);
    await tx.run(`CREATE TABLE ${aside} LIKE ${live}`);
    await tx.run(`ALTER TABLE ${aside} ${actions.join(', ')}`);
    await tx.run(`INSERT INTO ${aside} (${names.join(', ')}) SELECT ${values.join(', ')} FROM ${live}`);
    await tx.run(`RENAME TABLE ${live} TO ${old}, ${aside} TO ${live}`);
    await tx.run(`DROP TABLE ${old}`);
    return true;
  }

  async createBookkeepingTable(
    tx: MysqlTx,
    table: string,
    columns: readonly BookkeepingColumn[],
  ): Promise<void> {
    const types = bookkeepingTypes(columns.filter((c) => c.primaryKey).length);
    const create = createBookkeepingSql(this.sql.qualify(table), columns, quoteIdent, types);
    await tx.run(`${create} ${this.tableOptions()}`);
  }

  async addBookkeepingColumn(tx: MysqlTx, table: string, column: BookkeepingColumn): Promise<void> {
    const definition = bookkeepingColumnDdl(column, quoteIdent, bookkeepingTypes(1));
    await tx.run(`ALTER TABLE ${this.sql.qualify(table)} ADD COLUMN ${definition}`);
  }

  markerComment(marker: TableMarker): string {
    return markerComment(marker);
  }

  async setComment(tx: MysqlTx, table: string, comment: string): Promise<void> {
    await tx.run(`ALTER TABLE ${this.sql.qualify(table)} COMMENT = ${quoteLiteral(comment)}`);
  }

  async renameTable(tx: MysqlTx, from: TableShape, to: string): Promise<void> {
    await tx.run(`RENAME TABLE ${this.sql.qualify(from.name)} TO ${this.sql.qualify(to)}`);
  }

  async dropTable(tx: MysqlTx, table: string): Promise<void> {
    await tx.run(`DROP TABLE IF EXISTS ${this.sql.qualify(table)}`);
  }
}

function systemDefinition(name: string): string {
  if (name === SYSTEM_COLUMNS.deleted) return 'BOOLEAN NOT NULL DEFAULT FALSE';
  return columnDefinition(SYSTEM_COLUMN_TYPES.find((s) => s.name === name)!.type, undefined);
}

/** Bookkeeping column types; key columns share InnoDB's key limit like stream keys do. */
function bookkeepingTypes(keyColumns: number): Record<BookkeepingType, string> {
  return { key: `VARCHAR(${keyChars(keyColumns)})`, ...BOOKKEEPING_TYPE };
}
