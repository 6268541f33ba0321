/**
 * Mapping of mysql2 and socket errors to DestinationError: a stable code (its exit code follows from it, see
 * EXIT_CODES in src/errors.ts), a message that says what is wrong and where, and never a secret. Also which
 * errors a transaction may simply be replayed after (a lost connection, a deadlock, a lock wait timeout).
 */
import { DestinationError } from '../../errors.js';
import {
  errorCode,
  errorMessage,
  type DriverErrorRules,
  SOCKET_CODES,
  openErrorMapper,
  transientTest,
  writeErrorMapper,
} from '../sql/driver-errors.js';

/** mysql2 and server codes that mean the session is gone, not that the statement was wrong. */
const CONNECTION_CODES = new Set([
  ...SOCKET_CODES,
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  'CR_SERVER_LOST',
  'CR_SERVER_GONE_ERROR',
]);

/** True when the connection died (or never came): the statement itself was fine. */
export function isConnectionError(err: unknown): boolean {
  const code = errorCode(err);
  if (code !== undefined && CONNECTION_CODES.has(code)) return true;
  // A session killed on the server (1927), and the client's "server gone" / "lost connection" (2006, 2013).
  const errno = typeof err === 'object' && err !== null ? (err as { errno?: unknown }).errno : undefined;
  if (errno === 1927 || errno === 2006 || errno === 2013) return true;
  return /Connection lost|closed state/i.test(errorMessage(err));
}

/** Worth replaying the whole transaction: a lost connection, a deadlock, a lock wait timeout. */
export const isTransientError = transientTest(isConnectionError, [
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
]);

const GRANTS_HINT =
  'The user needs CREATE, ALTER, DROP, INDEX, SELECT, INSERT, UPDATE, DELETE and CREATE TEMPORARY TABLES on the ' +
  'namespace database (and CREATE on *.* if that database does not exist yet). See docs/destinations/mysql.md.';

const RULES: DriverErrorRules = {
  product: 'MySQL',
  isConnectionError,
  isTransient: isTransientError,
  describe: (err, redact) => redact(errorMessage(err)),
  classifyOpen(code, message, { where, misconfigured, unreachable }, target) {
    switch (code) {
      case 'ER_ACCESS_DENIED_ERROR':
      case 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR':
        return misconfigured(
          `MySQL at ${where} rejected the login of user "${target.user}": ${message}. Check the user and password in the destination config.`,
        );
      case 'ER_BAD_DB_ERROR':
        return misconfigured(
          `database "${target.database}" does not exist on MySQL at ${where}. Create it (CREATE DATABASE …) or fix the database name in the destination URL.`,
        );
      case 'ER_DBACCESS_DENIED_ERROR':
      case 'ER_TABLEACCESS_DENIED_ERROR':
      case 'ER_SPECIFIC_ACCESS_DENIED_ERROR':
        return misconfigured(
          `user "${target.user}" may not create the tributary tables in database "${target.schema}" on MySQL at ${where}: ${message}. ${GRANTS_HINT}`,
        );
      case 'ER_CON_COUNT_ERROR':
      case 'ER_SERVER_SHUTDOWN':
        return unreachable(`MySQL at ${where} does not accept connections now: ${message}. Retry later.`);
      default:
        return undefined;
    }
  },
  classifyWrite(code, what, message, target, opts) {
    if (/ACCESS_DENIED/.test(code)) {
      return new DestinationError(
        'TRB_DEST_SCHEMA',
        `permission denied while ${what} in database "${target.schema}": ${message}. ${GRANTS_HINT}`,
        opts,
      );
    }
    if (SCHEMA_CODES.has(code)) {
      return new DestinationError('TRB_DEST_SCHEMA', `schema problem while ${what}: ${message}`, opts);
    }
    if (code === 'ER_DATA_TOO_LONG') {
      return new DestinationError(
        'TRB_DEST_WRITE',
        `MySQL rejected the data while ${what}: ${message}. A text primary-key column tributary creates holds at ` +
          'most 768 characters, divided among the key columns (InnoDB keys are at most 3072 bytes, utf8mb4 takes up ' +
          'to 4 per character). Nothing of this batch was committed.',
        opts,
      );
    }
    if (code === 'ER_NET_PACKET_TOO_LARGE') {
      return new DestinationError(
        'TRB_DEST_WRITE',
        `a statement was larger than the server's max_allowed_packet while ${what}: ${message}. Nothing of this ` +
          'batch was committed; raise max_allowed_packet on the server or lower the batch size.',
        opts,
      );
    }
    return undefined;
  },
};

/**
 * Map a failure while connecting or preparing the namespace: what the user configured (login, database,
 * grants, an unknown host) is TRB_DEST_OPEN (exit 2); a server that cannot be reached now is
 * TRB_DEST_UNREACHABLE (exit 1).
 */
export const mapOpenError = openErrorMapper(RULES);

/** Map a failure during a sync. `what` names the operation and the stream. */
export const mapWriteError = writeErrorMapper(RULES);

/** Errors about tables and columns rather than values. */
const SCHEMA_CODES = new Set([
  'ER_NO_SUCH_TABLE',
  'ER_BAD_FIELD_ERROR',
  'ER_DUP_FIELDNAME',
  'ER_PARSE_ERROR',
  'ER_TOO_LONG_IDENT',
  'ER_TOO_MANY_FIELDS',
  'ER_TOO_BIG_ROWSIZE',
  'ER_TOO_LONG_KEY',
  'ER_WRONG_COLUMN_NAME',
  'ER_WRONG_TABLE_NAME',
  'ER_WRONG_DB_NAME',
  'ER_INVALID_CHARACTER_STRING',
  'ER_BAD_DB_ERROR',
]);
