/**
 * What every SQL dialect reads from a driver's error before it maps it to a DestinationError (its own
 * codes and messages stay in the dialect): the code, the message, the socket failures that mean the
 * connection is gone, and the details every destination error carries. Where a destination points is a
 * `Target`, which never holds the password.
 */

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
