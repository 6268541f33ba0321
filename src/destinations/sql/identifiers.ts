/**
 * What every dialect with a length limit does the same way with a name: refuse the names no database can
 * hold, and derive a stable stand-in for one too long to store (a prefix of it plus a hash of the whole).
 */
import { createHash } from 'node:crypto';
import { DestinationError } from '../../errors.js';
import type { IdentifierKind } from './dialect.js';

/** Length of the hex hash in a derived name's suffix. */
const HASH_HEX_CHARS = 8;

/** Throws TRB_DEST_SCHEMA for an empty name or one with a NUL character (`product` names the database). */
export function refuseUnholdableName(original: string, kind: IdentifierKind, product: string): void {
  if (original.length === 0) {
    throw new DestinationError('TRB_DEST_SCHEMA', `an empty ${kind} name cannot be used in ${product}`);
  }
  if (original.includes('\0')) {
    throw new DestinationError(
      'TRB_DEST_SCHEMA',
      `the ${kind} name ${JSON.stringify(original)} contains a NUL character, which ${product} identifiers cannot hold`,
    );
  }
}

/**
 * `_` and a hash of the whole name: appended to a prefix of a name that cannot be stored, it keeps the mapping
 * deterministic and two long names sharing a prefix apart.
 */
export function hashSuffix(original: string): string {
  return `_${createHash('sha256').update(original, 'utf8').digest('hex').slice(0, HASH_HEX_CHARS)}`;
}
