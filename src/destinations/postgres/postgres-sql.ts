/**
 * SQL text helpers for the PostgreSQL destination: identifier quoting, literal quoting and the
 * deterministic truncation of identifiers longer than PostgreSQL's 63-byte limit.
 */
import { createHash } from 'node:crypto';
import type { DialectNames, DialectSql, SqlValue } from '../sql/dialect.js';
import { hashSuffix, refuseUnholdableName } from '../sql/identifiers.js';
import { literalValue, mergeOnConflictSql } from '../sql/standard-sql.js';
import { PG_TYPE } from './postgres-types.js';

/** PostgreSQL keeps NAMEDATALEN - 1 = 63 bytes of an identifier and silently cuts the rest. */
export const MAX_IDENTIFIER_BYTES = 63;

/**
 * Columns every row of a table carries in PostgreSQL itself; a user column with one of these names
 * is rejected by CREATE TABLE ("conflicts with a system column name"), so such names are mapped.
 */
const PG_SYSTEM_COLUMNS = new Set(['tableoid', 'xmin', 'cmin', 'xmax', 'cmax', 'ctid', 'oid']);

/** What kind of object an identifier names; recorded in `_tributary_names`. */
export type { IdentifierKind } from '../sql/dialect.js';
import type { IdentifierKind } from '../sql/dialect.js';

/** An identifier as it will exist in PostgreSQL, and whether it differs from the name asked for. */
export interface PgIdentifier {
  original: string;
  name: string;
  /** True when `name` is not `original` (too long, or a PostgreSQL system column name). */
  mapped: boolean;
}

/** Double-quote an identifier (always; names are case- and character-preserving). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."name"`. */
export function qualify(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/**
 * A string literal for statements that take no parameters (COMMENT ON). An E'' literal with backslashes
 * escaped reads the same whatever the server's standard_conforming_strings says.
 */
export function quoteLiteral(value: string): string {
  return `E'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

/**
 * Cut `name` to at most `maxBytes` bytes of UTF-8 without splitting a character: back off over
 * continuation bytes (10xxxxxx) so the cut lands on the start of a code point.
 */
export function clipUtf8(name: string, maxBytes: number): string {
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length <= maxBytes) return name;
  let end = maxBytes;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/**
 * The identifier PostgreSQL will store for `original`. Names that fit are kept as they are. Longer
 * names keep a UTF-8-safe prefix plus `_` and a hash of the full name, so the mapping is deterministic
 * and two long names sharing a prefix do not collide.
 */
export function pgIdentifier(original: string, kind: IdentifierKind): PgIdentifier {
  refuseUnholdableName(original, kind, 'PostgreSQL');
  const suffix = hashSuffix(original);
  if (kind === 'column' && PG_SYSTEM_COLUMNS.has(original)) {
    return { original, name: `${original}${suffix}`, mapped: true };
  }
  if (Buffer.byteLength(original, 'utf8') <= MAX_IDENTIFIER_BYTES) {
    return { original, name: original, mapped: false };
  }
  const prefix = clipUtf8(original, MAX_IDENTIFIER_BYTES - Buffer.byteLength(suffix));
  return { original, name: `${prefix}${suffix}`, mapped: true };
}

/**
 * A name derived from another one (side table, primary key constraint). The result is always a legal
 * identifier; when the plain concatenation is too long it is truncated the same deterministic way.
 */
export function derivedIdentifier(
  prefix: string,
  base: string,
  suffix: string,
  kind: IdentifierKind,
): PgIdentifier {
  return pgIdentifier(`${prefix}${base}${suffix}`, kind);
}

/**
 * The advisory-lock key for a schema: the first 8 bytes of a SHA-256 as a signed 64-bit integer
 * (decimal text, since `pg` sends bigint parameters as text). Deterministic across processes; advisory
 * locks are already scoped to one database, so the schema name is enough.
 */
export function advisoryLockKey(schema: string): { key: string; classid: number; objid: number } {
  const digest = createHash('sha256').update(`tributary\0${schema}`, 'utf8').digest();
  const key = digest.readBigInt64BE(0);
  // pg_locks shows a bigint advisory key as classid (high 32 bits) and objid (low 32 bits), both unsigned.
  return { key: key.toString(), classid: digest.readUInt32BE(0), objid: digest.readUInt32BE(4) };
}

/** A SQL literal for a bookkeeping value. */
export function sqlValue(value: SqlValue): string {
  return literalValue(value, quoteLiteral, 'timestamptz');
}

/** PostgreSQL's SQL text for the protocol, for one schema. */
export function postgresSql(schema: string): DialectSql {
  return {
    quoteIdent,
    quoteLiteral,
    literal: sqlValue,
    jsonLiteral: (text) => `${quoteLiteral(text)}::jsonb`,
    qualify: (table) => qualify(schema, table),
    asText: (expr) => `(${expr})::text`,
    isDistinctFrom: (a, b) => `${a} IS DISTINCT FROM ${b}`,
    typeName: (type) => PG_TYPE[type],
    mergeRowsSql: mergeOnConflictSql(quoteIdent),
    now: () => 'now()',
  };
}

/** PostgreSQL's identifier rules: 63 bytes (longer names mapped and recorded), compared exactly. */
export const postgresNames: DialectNames = {
  identifier: (original, kind) => pgIdentifier(original, kind),
  fold: (name) => name,
  mapsNames: true,
};
