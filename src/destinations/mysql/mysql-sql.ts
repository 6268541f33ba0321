/**
 * SQL text for MySQL/MariaDB (dialect roles `DialectSql` and `DialectUpsert`): backtick quoting, literals,
 * bookkeeping merges as INSERT … ON DUPLICATE KEY UPDATE, and the upsert from the staging table.
 */
import { SYSTEM_COLUMNS } from '../destination.js';
import type { DialectSql, DialectUpsert, SqlValue, UpsertInput } from '../sql/dialect.js';
import { mergeRowsWith } from '../sql/standard-sql.js';
import { quoteIdent } from './mysql-names.js';
import { MYSQL_TYPE } from './mysql-types.js';

/**
 * A string literal. Backslash escapes are on in every session tributary opens (its sql_mode leaves out
 * NO_BACKSLASH_ESCAPES, as mysql2's own escaping of `?` parameters assumes), so backslash and NUL are escaped.
 */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "''").replaceAll('\0', '\\0')}'`;
}

/** A Date as DATETIME(6) text in UTC (every session runs in UTC). */
export function datetimeLiteral(d: Date): string {
  const iso = d.toISOString();
  return `'${iso.slice(0, 10)} ${iso.slice(11, 23)}'`;
}

const SYSTEM = [SYSTEM_COLUMNS.syncedAt, SYSTEM_COLUMNS.deleted, SYSTEM_COLUMNS.pass].map(quoteIdent);
const DELETED = quoteIdent(SYSTEM_COLUMNS.deleted);

export class MysqlSql implements DialectSql, DialectUpsert {
  constructor(private readonly schema: string) {}

  quoteIdent = quoteIdent;
  quoteLiteral = quoteLiteral;

  literal(value: SqlValue): string {
    if (value === null || value === undefined) return 'NULL';
    if (value instanceof Date) return datetimeLiteral(value);
    if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'NULL';
    if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
    return quoteLiteral(value);
  }

  /** JSON is stored as LONGTEXT: MariaDB's JSON is LONGTEXT anyway, and text reads back the same on both. */
  jsonLiteral(text: string): string {
    return quoteLiteral(text);
  }

  /** MySQL has no way to name a table past a TEMPORARY one; tributary's only temporary table is reserved-named. */
  qualify(table: string): string {
    return `${quoteIdent(this.schema)}.${quoteIdent(table)}`;
  }

  asText(expr: string): string {
    return `CAST(${expr} AS CHAR)`;
  }

  isDistinctFrom(a: string, b: string): string {
    return `NOT (${a} <=> ${b})`;
  }

  typeName(type: keyof typeof MYSQL_TYPE): string {
    return MYSQL_TYPE[type];
  }

  readonly mergeRowsSql = mergeRowsWith(quoteIdent, (_table, merged, key) => {
    const updates = merged.map(({ column, coalesce }) => {
      const q = quoteIdent(column);
      return coalesce ? `${q} = COALESCE(VALUES(${q}), ${q})` : `${q} = VALUES(${q})`;
    });
    // Every column kept: a duplicate is ignored (a no-op update, not INSERT IGNORE, which hides errors).
    if (updates.length === 0) updates.push(`${quoteIdent(key[0]!)} = ${quoteIdent(key[0]!)}`);
    return `ON DUPLICATE KEY UPDATE ${updates.join(', ')}`;
  });

  /** NOW(6) is the statement's start; sessions run in UTC, so it is UTC. */
  now(): string {
    return 'NOW(6)';
  }

  upsertSql(input: UpsertInput): string[] {
    const cols = input.columns.map(quoteIdent);
    const insert = `INSERT INTO ${input.target} (${[...cols, ...SYSTEM].join(', ')}) SELECT ${cols.join(', ')}, ${datetimeLiteral(input.syncedAt)}, FALSE, ${this.literal(input.passId)} FROM ${input.source}`;
    if (input.insertOnly || input.primaryKey.length === 0) return [insert];
    const statements: string[] = [];
    if (input.unchangedBy !== undefined) {
      // ON DUPLICATE KEY UPDATE has no WHERE: take the rows touchUnchangedSql stamped out of the stage.
      const by = quoteIdent(input.unchangedBy);
      statements.push(
        `DELETE s FROM ${input.source} AS s JOIN ${input.target} AS t ON ${this.keyJoin(input.primaryKey)} ` +
          `WHERE t.${by} <=> s.${by} AND NOT t.${DELETED}`,
      );
    }
    const key = new Set(input.primaryKey);
    const updates = [...input.columns.filter((c) => !key.has(c)).map(quoteIdent), ...SYSTEM]
      .map((c) => `${c} = VALUES(${c})`)
      .concat(input.absentColumns.map((c) => `${quoteIdent(c)} = NULL`));
    statements.push(`${insert} ON DUPLICATE KEY UPDATE ${updates.join(', ')}`);
    return statements;
  }

  touchUnchangedSql(input: Parameters<DialectUpsert['touchUnchangedSql']>[0]): string {
    const by = quoteIdent(input.unchangedBy);
    return (
      `UPDATE ${input.target} AS t JOIN ${input.source} AS s ON ${this.keyJoin(input.primaryKey)} ` +
      `SET t.${quoteIdent(SYSTEM_COLUMNS.pass)} = ${this.literal(input.passId)} ` +
      `WHERE t.${by} <=> s.${by} AND NOT t.${DELETED}`
    );
  }

  private keyJoin(primaryKey: readonly string[]): string {
    return primaryKey.map((k) => `t.${quoteIdent(k)} = s.${quoteIdent(k)}`).join(' AND ');
  }
}
