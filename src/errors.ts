/**
 * Typed errors with stable codes. Every error tributary raises on purpose is one of these, so the CLI can
 * map it to an exit code and a one-line message that names what is wrong and where.
 *
 * The exit code belongs to the error code, never to an instance: `EXIT_CODES` below is the one table, the
 * same on every destination, and README's "Exit codes" section lists it (a test checks both).
 */

/** Every error code, in one array so tests and docs can enumerate them (the `ErrorCode` union derives from it). */
export const ERROR_CODES = [
  'TRB_CONFIG_INVALID',
  'TRB_CONFIG_MISSING',
  'TRB_CONFIG_ENV',
  /** The connections file (`tributary.yaml`) is invalid; the message names the connection and the field. */
  'TRB_CONNECTIONS_INVALID',
  'TRB_USAGE',
  'TRB_MANIFEST_INVALID',
  'TRB_UNKNOWN_CONNECTOR',
  'TRB_UNKNOWN_STREAM',
  /** The destination namespace (schema) belongs to another connection; nothing was written. */
  'TRB_NAMESPACE_OWNED',
  'TRB_AUTH',
  'TRB_RATE_LIMITED',
  'TRB_SOURCE_HTTP',
  'TRB_SOURCE_NETWORK',
  'TRB_SOURCE_TIMEOUT',
  'TRB_SOURCE_BAD_RESPONSE',
  'TRB_SOURCE_RECORD',
  'TRB_SOURCE_REDIRECT',
  /** The API broke its own paging contract, so the pass could not be proven complete (nothing swept). */
  'TRB_SOURCE_CONTRACT',
  /** The destination cannot be opened because of what was configured: a bad path or URL, a missing database, a rejected login, missing grants. */
  'TRB_DEST_OPEN',
  /** The destination server could not be reached now (refused, DNS, timeout, not accepting connections). */
  'TRB_DEST_UNREACHABLE',
  /** Another sync holds the destination (DuckDB file lock, PostgreSQL schema lock). */
  'TRB_DEST_LOCKED',
  'TRB_DEST_WRITE',
  'TRB_DEST_SCHEMA',
  /** The connection was lost during a sync. */
  'TRB_DEST_CONNECTION',
  /** A newer sync of the connection took over (a higher fencing token): this one's commit was refused. */
  'TRB_FENCED',
  /** The sync was cancelled (`tributary cancel`); what it had committed stays, nothing partial. */
  'TRB_CANCELLED',
  /** The connection is paused after repeated failures; `tributary resume` (or `run --force`) un-pauses it. */
  'TRB_CONNECTION_PAUSED',
  /** A run would wait longer for its rate budget than it may; it should be parked and resumed later. */
  'TRB_BUDGET_PARKED',
  /** Redis (shared rate budgets, the job queue) cannot be reached. */
  'TRB_REDIS_UNREACHABLE',
  /** The dashboard would listen on a non-loopback host without a token; it refuses to start. */
  'TRB_DASHBOARD_AUTH_REQUIRED',
  'TRB_INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** What an exit code means, for the README and `--help`. */
export const EXIT_MEANINGS = {
  0: 'success',
  1: 'the sync failed; transient or worth retrying as is',
  2: 'bad config or usage; fix it before retrying',
  3: 'the destination is locked or busy; try later',
} as const;

export type ExitCode = keyof typeof EXIT_MEANINGS;

/**
 * The one exit-code table. 1: retrying the same command may succeed (network, timeouts, 5xx, rate limits, an
 * unreachable or dropped destination, an API that broke its contract this time). 2: it will fail the same
 * way until a person changes the config, the command line or the credentials (TRB_AUTH is here: a rejected
 * token is fixed in the config, and retrying it only hammers the API). 3: another sync holds the
 * destination; try again when it is done.
 */
export const EXIT_CODES: { readonly [C in ErrorCode]: Exclude<ExitCode, 0> } = {
  TRB_CONFIG_INVALID: 2,
  TRB_CONFIG_MISSING: 2,
  TRB_CONFIG_ENV: 2,
  TRB_CONNECTIONS_INVALID: 2,
  TRB_USAGE: 2,
  TRB_MANIFEST_INVALID: 2,
  TRB_UNKNOWN_CONNECTOR: 2,
  TRB_UNKNOWN_STREAM: 2,
  TRB_NAMESPACE_OWNED: 2,
  TRB_AUTH: 2,
  TRB_RATE_LIMITED: 1,
  TRB_SOURCE_HTTP: 1,
  TRB_SOURCE_NETWORK: 1,
  TRB_SOURCE_TIMEOUT: 1,
  TRB_SOURCE_BAD_RESPONSE: 1,
  TRB_SOURCE_RECORD: 1,
  TRB_SOURCE_REDIRECT: 1,
  TRB_SOURCE_CONTRACT: 1,
  TRB_DEST_OPEN: 2,
  TRB_DEST_UNREACHABLE: 1,
  TRB_DEST_LOCKED: 3,
  TRB_DEST_WRITE: 1,
  TRB_DEST_SCHEMA: 1,
  TRB_DEST_CONNECTION: 1,
  TRB_FENCED: 3,
  TRB_CANCELLED: 1,
  TRB_CONNECTION_PAUSED: 2,
  TRB_BUDGET_PARKED: 1,
  TRB_REDIS_UNREACHABLE: 1,
  TRB_DASHBOARD_AUTH_REQUIRED: 2,
  TRB_INTERNAL: 1,
};

/** The exit code for an error code (1 for anything unknown: a failure, not a verdict on the config). */
export function exitCodeFor(code: string | undefined): Exclude<ExitCode, 0> {
  return code !== undefined && Object.hasOwn(EXIT_CODES, code) ? EXIT_CODES[code as ErrorCode] : 1;
}

/** Base class: a stable `code` (which alone decides the exit code) and optional structured `details` (never secrets). */
export class TributaryError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  /** Whether retrying the same operation might succeed (used by the HTTP client and destinations). */
  readonly retryable: boolean;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { details?: Record<string, unknown>; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = opts.details ?? {};
    this.retryable = opts.retryable ?? false;
  }

  /** The process exit code for this error, from `EXIT_CODES`. */
  get exitCode(): number {
    return exitCodeFor(this.code);
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, ...this.details };
  }
}

/** Bad configuration, manifest or CLI usage (exit code 2). */
export class ConfigError extends TributaryError {
  constructor(
    message: string,
    opts: { code?: ErrorCode; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(opts.code ?? 'TRB_CONFIG_INVALID', message, opts);
  }
}

/** The API rejected our credentials (401/403). Never retried; the message never echoes the secret. */
export class AuthError extends TributaryError {
  constructor(message: string, opts: { details?: Record<string, unknown> } = {}) {
    super('TRB_AUTH', message, opts);
  }
}

/** Retries ran out while the API kept answering 429. */
export class RateLimitError extends TributaryError {
  constructor(message: string, opts: { details?: Record<string, unknown> } = {}) {
    super('TRB_RATE_LIMITED', message, { ...opts, retryable: true });
  }
}

/** The source misbehaved: HTTP errors, bad bodies, bad records, network failures. */
export class SourceError extends TributaryError {
  constructor(
    code: Extract<
      ErrorCode,
      | 'TRB_SOURCE_HTTP'
      | 'TRB_SOURCE_NETWORK'
      | 'TRB_SOURCE_TIMEOUT'
      | 'TRB_SOURCE_BAD_RESPONSE'
      | 'TRB_SOURCE_RECORD'
      | 'TRB_SOURCE_REDIRECT'
      | 'TRB_SOURCE_CONTRACT'
    >,
    message: string,
    opts: { details?: Record<string, unknown>; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(code, message, opts);
  }
}

/** The destination could not be opened, reached, locked or written. */
export class DestinationError extends TributaryError {
  constructor(
    /** TRB_FENCED too: the destination refuses a commit whose fencing token a newer sync has passed. */
    code: Extract<ErrorCode, `TRB_DEST_${string}` | 'TRB_FENCED'>,
    message: string,
    opts: { details?: Record<string, unknown>; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(code, message, opts);
  }
}

/**
 * The rate budget has no slot before `resumeAt` (epoch ms), later than the caller agreed to wait, and no slot
 * was reserved. A queue worker catches it and parks its job as delayed until then; a user only sees it when
 * nothing does (exit 1: retrying later succeeds). Not `retryable`: retrying at once would only park again.
 */
export class BudgetParkError extends TributaryError {
  readonly resumeAt: number;
  readonly waitMs: number;

  constructor(message: string, opts: { resumeAt: number; waitMs: number }) {
    super('TRB_BUDGET_PARKED', message, {
      details: { resumeAt: new Date(opts.resumeAt).toISOString(), waitMs: Math.ceil(opts.waitMs) },
    });
    this.resumeAt = opts.resumeAt;
    this.waitMs = opts.waitMs;
  }
}

/** Redis did not answer. The message names the URL without its password. Exit 1: retry when Redis is back. */
export class RedisUnreachableError extends TributaryError {
  constructor(message: string, opts: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super('TRB_REDIS_UNREACHABLE', message, opts);
  }
}

export function isTributaryError(err: unknown): err is TributaryError {
  return err instanceof TributaryError;
}

/**
 * Any thrown value as a TributaryError, for every entry point's last catch: ours pass through, an abort
 * carries the error that caused it (a failed stream aborts the others with its error), and anything else is
 * a TRB_INTERNAL bug report that keeps the original as its cause.
 */
export function toTributaryError(err: unknown): TributaryError {
  if (isTributaryError(err)) return err;
  if (
    err instanceof Error &&
    err.name === 'AbortError' &&
    isTributaryError((err as { cause?: unknown }).cause)
  ) {
    return (err as { cause: TributaryError }).cause;
  }
  return new TributaryError(
    'TRB_INTERNAL',
    `unexpected error: ${err instanceof Error ? err.message : String(err)}`,
    { cause: err },
  );
}
