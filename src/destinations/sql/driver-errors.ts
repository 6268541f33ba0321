/**
 * What every SQL dialect reads from a driver's error before it maps it to a DestinationError (its own
 * codes and messages stay in the dialect): the code, the message, the socket failures that mean the
 * connection is gone, and the details every destination error carries. Where a destination points is a
 * `Target`, which never holds the password.
 */
import { DestinationError } from '../../errors.js';

/** Where a server destination points, for messages and error details (never the password). */
export interface Target {
  /** e.g. `mysql://user@host:3306/db?schema=ns` */
  description: string;
  host: string;
  port: number;
  database: string;
  user: string;
  /** The namespace (PostgreSQL schema, MySQL database) holding the stream tables. */
  schema: string;
}

/** The driver's (or Node's socket) error code, if the error has one. */
export function errorCode(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** The error's own message, or its text. */
export function errorMessage(err: unknown): string {
  const message =
    typeof err === 'object' && err !== null ? (err as { message?: unknown }).message : undefined;
  return typeof message === 'string' && message.length > 0 ? message : String(err);
}

/** Node's codes for a connection that is gone or never came: the statement itself was fine. */
export const SOCKET_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
]);

/** The details of a destination error: where, and the driver's code. */
export function errorDetails(
  err: unknown,
  target: Target,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const code = errorCode(err);
  return {
    destination: target.description,
    schema: target.schema,
    ...(code === undefined ? {} : { errorCode: code }),
    ...extra,
  };
}

/** The two verdicts of a failed open, with the destination's details, redacted by `redact`. */
export interface OpenVerdicts {
  /** `host:port`, for messages. */
  where: string;
  /** A problem with what was configured: TRB_DEST_OPEN (exit 2, fix the config). */
  misconfigured(message: string): DestinationError;
  /** A server that cannot be reached now: TRB_DEST_UNREACHABLE (exit 1, retry later). */
  unreachable(message: string): DestinationError;
}

function openVerdicts(err: unknown, target: Target, redact: (text: string) => string): OpenVerdicts {
  const base = { details: errorDetails(err, target) };
  return {
    where: `${target.host}:${target.port}`,
    misconfigured: (message) => new DestinationError('TRB_DEST_OPEN', redact(message), base),
    unreachable: (message) =>
      new DestinationError('TRB_DEST_UNREACHABLE', redact(message), { ...base, retryable: true }),
  };
}

/**
 * The verdict on a socket failure while connecting, the same for every server (`product` names it): a host
 * name that does not resolve is a config problem; a DNS failure or a refused connection is for later.
 */
function socketOpenError(
  err: unknown,
  product: string,
  target: Target,
  v: OpenVerdicts,
): DestinationError | undefined {
  switch (errorCode(err)) {
    case 'ENOTFOUND':
      return v.misconfigured(
        `unknown ${product} host "${target.host}": the name does not resolve. Check the destination URL.`,
      );
    case 'EAI_AGAIN':
      return v.unreachable(
        `could not resolve ${product} host "${target.host}" (DNS failure). Check the network and the URL, then retry.`,
      );
    case 'ECONNREFUSED':
      return v.unreachable(
        `nothing accepts connections at ${v.where}: is ${product} running there? Check the host and port, then retry.`,
      );
    default:
      return undefined;
  }
}

/**
 * The test of errors worth replaying a whole transaction for: the session died (`isConnectionError`), or the
 * server rolled the transaction back itself (`rolledBackCodes`: a deadlock, a serialization failure, a lock
 * wait timeout). Either way nothing of it committed, so a fresh connection may simply run it again.
 */
export function transientTest(
  isConnectionError: (err: unknown) => boolean,
  rolledBackCodes: readonly string[],
): (err: unknown) => boolean {
  return (err) => {
    const code = errorCode(err);
    return isConnectionError(err) || (code !== undefined && rolledBackCodes.includes(code));
  };
}

type Redact = (text: string) => string;

/** What a dialect knows of its driver's errors; the frames (openErrorMapper, writeErrorMapper) are shared. */
export interface DriverErrorRules {
  /** The server's name in messages, e.g. `PostgreSQL`. */
  product: string;
  isConnectionError(err: unknown): boolean;
  isTransient(err: unknown): boolean;
  /** The error's text for a message, redacted. */
  describe(err: unknown, redact: Redact): string;
  /** During a sync: what the message adds to `describe`'s text, and what else the details carry. */
  writeContext?(err: unknown, redact: Redact): { suffix: string; extra: Record<string, unknown> };
  /**
   * The dialect's verdict on an open failure whose code it knows (login, database, grants, server full), or
   * undefined: then a lost connection is unreachable, anything else misconfigured.
   */
  classifyOpen(code: string, message: string, v: OpenVerdicts, target: Target): DestinationError | undefined;
  /**
   * The dialect's verdict on a sync failure whose code it knows (permissions, schema problems, limits), or
   * undefined: then the server "rejected the data".
   */
  classifyWrite(
    code: string,
    what: string,
    message: string,
    target: Target,
    opts: { details: Record<string, unknown> },
  ): DestinationError | undefined;
}

/** Redacts with the dialect's redactor (a class of its own, or the shared one). */
export type ErrorMapRedactor = { redact(text: string): string };

/**
 * A dialect's mapping of a failure while connecting or preparing the namespace. What the user configured
 * (credentials, database, grants, a host name that does not resolve) is TRB_DEST_OPEN (exit 2: fix the
 * config); a server that cannot be reached now is TRB_DEST_UNREACHABLE (exit 1: retry later), so cron retry
 * logic can tell the two apart.
 */
export function openErrorMapper(
  rules: DriverErrorRules,
): (err: unknown, target: Target, redactor: ErrorMapRedactor) => DestinationError {
  return (err, target, redactor) => {
    if (err instanceof DestinationError) return err;
    const redact: Redact = (text) => redactor.redact(text);
    const v = openVerdicts(err, target, redact);
    const socket = socketOpenError(err, rules.product, target, v);
    if (socket !== undefined) return socket;
    const message = rules.describe(err, redact);
    const verdict = rules.classifyOpen(errorCode(err) ?? '', message, v, target);
    if (verdict !== undefined) return verdict;
    if (rules.isConnectionError(err))
      return v.unreachable(`could not connect to ${rules.product} at ${v.where}: ${message}`);
    return v.misconfigured(`could not open ${rules.product} destination ${target.description}: ${message}`);
  };
}

/**
 * A dialect's mapping of a failure during a sync (write, sweep, swap, bookkeeping; `what` names the operation
 * and stream): a DestinationError passes unchanged, a lost connection is retryable and safe to re-run (the
 * transaction rolled back or had fully committed), a code the dialect knows gets its verdict, and anything
 * else is data the server refused.
 */
export function writeErrorMapper(
  rules: DriverErrorRules,
): (err: unknown, what: string, target: Target, redactor: ErrorMapRedactor) => DestinationError {
  return (err, what, target, redactor) => {
    if (err instanceof DestinationError) return err;
    const redact: Redact = (text) => redactor.redact(text);
    const context = rules.writeContext?.(err, redact);
    const message = `${rules.describe(err, redact)}${context?.suffix ?? ''}`;
    const opts = { details: errorDetails(err, target, context?.extra) };
    if (rules.isConnectionError(err)) {
      return new DestinationError(
        'TRB_DEST_CONNECTION',
        `lost the connection to ${rules.product} ${target.description} while ${what}: ${message}. The transaction was ` +
          'rolled back (or had fully committed); stored state matches the stored rows, so re-running the sync resumes safely.',
        { ...opts, retryable: true },
      );
    }
    return (
      rules.classifyWrite(errorCode(err) ?? '', what, message, target, opts) ??
      new DestinationError(
        'TRB_DEST_WRITE',
        `${rules.product} rejected the data while ${what}: ${message}. Nothing of this batch was committed.`,
        { ...opts, retryable: rules.isTransient(err) },
      )
    );
  };
}

/**
 * Another sync holds the namespace's lock (TRB_DEST_LOCKED): it did not come free within `timeoutMs`, or,
 * when `reacquiring`, another sync took it while this one's lock session was lost. `noun` is what the
 * database calls the namespace (`schema`, `namespace`); `holder` says who holds the lock, when known.
 */
export function namespaceLockedError(
  target: Target,
  opts: {
    noun: string;
    holder: string;
    reacquiring: boolean;
    timeoutMs: number;
    redact: (text: string) => string;
  },
): DestinationError {
  const { noun, holder, reacquiring, timeoutMs } = opts;
  const message = reacquiring
    ? `lost the lock session for ${noun} "${target.schema}" on ${target.description} and another sync took the ` +
      `lock${holder} before it could be re-taken. This sync stops; committed batches are intact.`
    : `another tributary sync is writing to ${noun} "${target.schema}" on ${target.description}${holder}; waited ` +
      `${timeoutMs} ms for it to finish. Wait for it, or stop it, then re-run.`;
  return new DestinationError('TRB_DEST_LOCKED', opts.redact(message), {
    details: {
      destination: target.description,
      schema: target.schema,
      waitedMs: reacquiring ? 0 : timeoutMs,
    },
  });
}
