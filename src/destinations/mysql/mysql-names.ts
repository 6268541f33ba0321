/**
 * Identifier rules for MySQL/MariaDB, and backtick quoting. MySQL keeps at
 * most 64 characters of a name, refuses characters beyond the Basic Multilingual Plane (its identifiers are
 * utf8mb3), and refuses a database or table name that ends with a space. A name it cannot hold is stored as a
 * stable derived name (a prefix plus a hash of the whole name), and the original is recorded in
 * `_tributary_names`, as the PostgreSQL destination does for its 63-byte limit.
 */
import type { Identifier, IdentifierKind } from '../sql/dialect.js';
import { hashSuffix, refuseUnholdableName } from '../sql/identifiers.js';

/** MySQL's identifier length limit, in characters. */
const MAX_IDENTIFIER_CHARS = 64;

/** Backtick-quote an identifier (always: names keep their case and characters). */
export function quoteIdent(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/** Characters beyond U+FFFF (surrogate pairs in a JS string), which MySQL identifiers cannot hold. */
const SUPPLEMENTARY = /[\uD800-\uDFFF]/;

/** Whether MySQL can store `name` as it is. */
function storable(name: string): boolean {
  if ([...name].length > MAX_IDENTIFIER_CHARS || SUPPLEMENTARY.test(name)) return false;
  // MySQL refuses a database, table or column name that ends with a space.
  return !name.endsWith(' ');
}

/**
 * The identifier MySQL will store for `original`. Names that fit are kept. Others keep a prefix of their
 * storable characters (so the name still says what it is) plus `_` and a hash of the full name, so the
 * mapping is deterministic and two long names sharing a prefix do not collide.
 */
export function mysqlIdentifier(original: string, kind: IdentifierKind): Identifier {
  refuseUnholdableName(original, kind, 'MySQL');
  if (storable(original)) return { original, name: original, mapped: false };
  return { original, name: derivedName(original), mapped: true };
}

/** A prefix of `original`'s BMP characters plus `_` and the hash of the whole name: at most 64 characters. */
function derivedName(original: string): string {
  const suffix = hashSuffix(original);
  const bmp = [...original].filter((ch) => ch.length === 1);
  return `${bmp.slice(0, MAX_IDENTIFIER_CHARS - suffix.length).join('')}${suffix}`;
}

/**
 * A name derived from another one (side tables of replace passes and widenings). Always storable; when the
 * plain concatenation is not, it is shortened the same deterministic way.
 */
export function derivedIdentifier(prefix: string, base: string, kind: IdentifierKind): Identifier {
  return mysqlIdentifier(`${prefix}${base}`, kind);
}

/** How MySQL compares column names: case- and accent-insensitively. */
export function foldName(name: string): string {
  return name.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}
