/**
 * What a stream's tables are called and which table specs the protocol refuses before anything runs: names
 * in tributary's reserved prefix, names no database can hold, columns that collide (as the database compares
 * names, or once mapped to its identifier limits), unknown types, a key that is not among the columns.
 */
import { DestinationError } from '../../errors.js';
import { SYSTEM_COLUMNS, type TableSpec } from '../destination.js';
import type { Dialect, DialectNames, Identifier } from './dialect.js';

/** Prefix of every name tributary owns in the namespace; streams and columns may not use it. */
export const RESERVED_PREFIX = '_tributary_';

/** The system columns of every stream table, in table order. */
export const SYSTEM_COLUMN_TYPES: readonly { name: string; type: 'timestamp' | 'boolean' | 'varchar' }[] = [
  { name: SYSTEM_COLUMNS.syncedAt, type: 'timestamp' },
  { name: SYSTEM_COLUMNS.deleted, type: 'boolean' },
  { name: SYSTEM_COLUMNS.pass, type: 'varchar' },
];

const KNOWN_TYPES = new Set(['boolean', 'bigint', 'double', 'decimal', 'timestamp', 'varchar']);

/** The table of a stream; names in tributary's reserved prefix are refused. */
export function streamTable(names: DialectNames, stream: string): Identifier {
  if (names.fold(stream).startsWith(RESERVED_PREFIX)) {
    throw new DestinationError(
      'TRB_DEST_SCHEMA',
      `stream name "${stream}" is reserved: names starting with ${RESERVED_PREFIX} belong to tributary's own tables`,
      { details: { stream } },
    );
  }
  return names.identifier(stream, 'table');
}

/** The side table a replace-mode pass of a stream is built in. */
export function sideTable(names: DialectNames, stream: string): Identifier {
  streamTable(names, stream);
  return names.identifier(`${RESERVED_PREFIX}replace_${stream}`, 'table');
}

/** Refuse a stream name or TableSpec the destination cannot hold faithfully, before anything runs. */
export function checkSpec(
  dialect: Pick<Dialect, 'names' | 'product'>,
  stream: string,
  spec: TableSpec,
): void {
  const problem = badName(stream);
  if (problem) throw schemaError(`stream name ${JSON.stringify(stream)} ${problem}`, { stream });
  streamTable(dialect.names, stream);
  if (spec.stream !== stream) {
    throw schemaError(`table spec is for stream "${spec.stream}" but the batch is for "${stream}"`, {
      stream,
    });
  }
  if (spec.columns.length === 0)
    throw schemaError(`stream "${stream}": the table spec declares no columns`, { stream });
  const { names } = dialect;
  const system = new Set(SYSTEM_COLUMN_TYPES.map((s) => names.fold(s.name)));
  const seen = new Map<string, string>();
  const stored = new Map<string, string>();
  for (const c of spec.columns) {
    const bad = badName(c.name);
    if (bad)
      throw schemaError(`stream "${stream}": column name ${JSON.stringify(c.name)} ${bad}`, { stream });
    if (!KNOWN_TYPES.has(c.type)) {
      throw schemaError(`stream "${stream}": column "${c.name}" has unknown type ${JSON.stringify(c.type)}`, {
        stream,
        column: c.name,
      });
    }
    const key = names.fold(c.name);
    if (system.has(key)) {
      throw schemaError(
        `stream "${stream}": column "${c.name}" collides with tributary's system column (names starting with ${RESERVED_PREFIX} are reserved)`,
        { stream, column: c.name },
      );
    }
    if (key.startsWith(RESERVED_PREFIX)) {
      throw schemaError(
        `stream "${stream}" has a column named "${c.name}": names starting with ${RESERVED_PREFIX} are reserved ` +
          'for tributary system columns. Rename the field in the connector transforms.',
        { stream, column: c.name },
      );
    }
    const other = seen.get(key);
    if (other !== undefined) {
      throw schemaError(
        other === c.name
          ? `stream "${stream}" declares column "${c.name}" twice`
          : `stream "${stream}": columns "${other}" and "${c.name}" are the same column in ${dialect.product}, which ignores the case of ASCII letters in names`,
        { stream, column: c.name },
      );
    }
    seen.set(key, c.name);
    const id = names.identifier(c.name, 'column');
    const clash = stored.get(names.fold(id.name));
    if (clash !== undefined) {
      throw schemaError(
        `stream "${stream}": columns "${clash}" and "${c.name}" would both be stored as "${id.name}" in ${dialect.product}`,
        { stream, column: c.name },
      );
    }
    stored.set(names.fold(id.name), c.name);
  }
  const keys = new Set<string>();
  for (const k of spec.primaryKey) {
    if (!seen.has(names.fold(k))) {
      throw schemaError(`stream "${stream}": primary key column "${k}" is not among the table's columns`, {
        stream,
        column: k,
      });
    }
    if (keys.has(names.fold(k)))
      throw schemaError(`stream "${stream}": primary key lists "${k}" twice`, { stream });
    keys.add(names.fold(k));
  }
}

interface WellFormed {
  isWellFormed(): boolean;
}

function badName(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.includes('\u0000')) return 'contains a NUL character';
  if (!(name as unknown as WellFormed).isWellFormed()) return 'contains an unpaired UTF-16 surrogate';
  return undefined;
}

function schemaError(message: string, details: Record<string, unknown>): DestinationError {
  return new DestinationError('TRB_DEST_SCHEMA', message, { details });
}
