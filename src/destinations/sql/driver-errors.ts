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

export function openVerdicts(err: unknown, target: Target, redact: (text: string) => string): OpenVerdicts {
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
export function socketOpenError(
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
