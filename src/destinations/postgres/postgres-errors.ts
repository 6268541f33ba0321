/**
 * Mapping of `pg` and socket errors to DestinationError: a stable code, a message that says what is
 * wrong and where (its exit code follows from the code, see EXIT_CODES in src/errors.ts), and never a secret.
 */
import { DestinationError } from '../../errors.js';
import {
  type DriverErrorRules,
  SOCKET_CODES,
  openErrorMapper,
  type Target,
  transientTest,
  writeErrorMapper,
} from '../sql/driver-errors.js';

export type { Target };

/** The parts of an error `pg` (or the socket beneath it) raises that the mapping looks at. */
interface PgErrorLike {
  message?: unknown;
  code?: unknown;
  detail?: unknown;
  hint?: unknown;
  where?: unknown;
  column?: unknown;
  table?: unknown;
  schema?: unknown;
  constraint?: unknown;
}

function fields(err: unknown): PgErrorLike {
  return typeof err === 'object' && err !== null ? (err as PgErrorLike) : { message: String(err) };
}

/** The SQLSTATE (or Node error code) of an error, if it has one. */
export function errorCode(err: unknown): string | undefined {
  const code = fields(err).code;
  return typeof code === 'string' ? code : undefined;
}

function rawMessage(err: unknown): string {
  const message = fields(err).message;
  return typeof message === 'string' && message.length > 0 ? message : String(err);
}

/** Removes every known secret from text that may reach a user, a log or a run table. */
export class Redactor {
  private readonly secrets: string[];

  constructor(secrets: Array<string | undefined | null>) {
    const all = new Set<string>();
    for (const secret of secrets) {
      if (!secret) continue;
      all.add(secret);
      all.add(encodeURIComponent(secret));
    }
    // Longest first, so a secret that contains another is removed whole.
    this.secrets = [...all].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.replaceAll(secret, '***');
    // Belt and braces: any URL-style credential that slipped through.
    return out.replace(/(postgres(?:ql)?:\/\/[^:/@\s]*):[^@/\s]*@/gi, '$1:***@');
  }
}

const CONNECTION_MESSAGES = [
  'Connection terminated',
  'connection error',
  'not queryable',
  'timeout exceeded when trying to connect',
  'Query read timeout',
];

/**
 * True when the error means the session died, not that the statement was wrong: socket errors,
 * SQLSTATE class 08 (connection exception) and 57P01-57P03 (server shutdown / backend terminated).
 * A batch that failed this way can be retried on a fresh connection because it is one transaction.
 */
export function isConnectionError(err: unknown): boolean {
  const code = errorCode(err);
  if (code !== undefined) {
    if (SOCKET_CODES.has(code)) return true;
    if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return true;
  }
  const message = rawMessage(err);
  return CONNECTION_MESSAGES.some((m) => message.includes(m));
}

/** Errors worth retrying the whole transaction for: a lost connection, a deadlock, a serialization failure. */
export const isTransientError = transientTest(isConnectionError, ['40001', '40P01']);

const GRANTS_HINT =
  'The user needs CONNECT and TEMPORARY on the database, and either CREATE on the database (to create the ' +
  'schema) or USAGE and CREATE on an existing schema. See docs/destinations/postgres.md#permissions.';

/** A message with the PostgreSQL detail/hint appended, redacted. */
export function describePgError(err: unknown, redactor: Pick<Redactor, 'redact'>): string {
  const f = fields(err);
  let text = rawMessage(err);
  if (typeof f.detail === 'string' && f.detail.length > 0) text += ` (${f.detail})`;
  if (typeof f.hint === 'string' && f.hint.length > 0) text += ` Hint: ${f.hint}`;
  return redactor.redact(text);
}

const RULES: DriverErrorRules = {
  product: 'PostgreSQL',
  isConnectionError,
  isTransient: isTransientError,
  describe: (err, redact) => describePgError(err, { redact }),
  writeContext(err, redact) {
    const f = fields(err);
    const extra: Record<string, unknown> = {};
    if (typeof f.table === 'string') extra.table = f.table;
    if (typeof f.column === 'string') extra.column = f.column;
    if (typeof f.constraint === 'string') extra.constraint = f.constraint;
    const where = typeof f.where === 'string' && f.where.length > 0 ? ` [${f.where.split('\n')[0]}]` : '';
    return { suffix: redact(where), extra };
  },
  classifyOpen(code, message, { where, misconfigured: say, unreachable }, target) {
    switch (code) {
      case '28P01':
      case '28000':
        return say(
          `PostgreSQL at ${where} rejected the login of user "${target.user}" to database "${target.database}": ` +
            `${message}. Check the user and password in the destination config.`,
        );
      case '3D000':
        return say(
          `database "${target.database}" does not exist on PostgreSQL at ${where}. Create it ` +
            `(CREATE DATABASE ...) or fix the database name in the destination URL.`,
        );
      case '42501':
        return say(
          `user "${target.user}" may not create the tributary tables in schema "${target.schema}" of database ` +
            `"${target.database}": ${message}. ${GRANTS_HINT}`,
        );
      case '53300':
      case '57P03':
        return unreachable(
          `PostgreSQL at ${where} does not accept connections now: ${message}. Retry later.`,
        );
      default:
        return undefined;
    }
  },
  classifyWrite(code, what, message, target, opts) {
    if (code === '3D000') {
      // The reconnect after a lost session found no database: it was dropped (or renamed) mid-sync. Not a
      // problem with the data, so not "rejected the data".
      return new DestinationError(
        'TRB_DEST_CONNECTION',
        `database "${target.database}" no longer exists on PostgreSQL at ${target.host}:${target.port} (dropped or ` +
          `renamed while ${what}). Nothing of this batch was committed; recreate the database (or point the ` +
          'destination at another one) and re-run the sync.',
        opts,
      );
    }
    if (code === '42501') {
      return new DestinationError(
        'TRB_DEST_SCHEMA',
        `permission denied while ${what} in schema "${target.schema}": ${message}. ${GRANTS_HINT}`,
        opts,
      );
    }
    if (code.startsWith('42') || code === '2BP01' || code.startsWith('0A')) {
      return new DestinationError('TRB_DEST_SCHEMA', `schema problem while ${what}: ${message}`, opts);
    }
    if (code.startsWith('54')) {
      return new DestinationError(
        'TRB_DEST_SCHEMA',
        `a PostgreSQL limit was exceeded while ${what}: ${message} (for example the 1600-column limit of a table).`,
        opts,
      );
    }
    if (code.startsWith('53')) {
      return new DestinationError(
        'TRB_DEST_WRITE',
        `PostgreSQL ran out of a resource while ${what}: ${message}. Nothing of this batch was committed.`,
        { ...opts, retryable: true },
      );
    }
    return undefined;
  },
};

/**
 * Map a failure while connecting or preparing the schema: TRB_DEST_OPEN for what the user configured (database
 * name, credentials, privileges, an unknown host), TRB_DEST_UNREACHABLE for a server that cannot be reached now.
 */
export const mapOpenError = openErrorMapper(RULES);

/** Map a failure during a sync (write, sweep, swap, bookkeeping). `what` names the operation and stream. */
export const mapWriteError = writeErrorMapper(RULES);
