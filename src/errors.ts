/**
 * Typed errors with stable codes. Every error tributary raises on purpose is one of these, so the CLI can
 * map it to an exit code and a one-line message that names what is wrong and where.
 */

export type ErrorCode =
  | 'TRB_CONFIG_INVALID'
  | 'TRB_CONFIG_MISSING'
  | 'TRB_CONFIG_ENV'
  | 'TRB_USAGE'
  | 'TRB_MANIFEST_INVALID'
  | 'TRB_UNKNOWN_CONNECTOR'
  | 'TRB_UNKNOWN_STREAM'
  | 'TRB_AUTH'
  | 'TRB_RATE_LIMITED'
  | 'TRB_SOURCE_HTTP'
  | 'TRB_SOURCE_NETWORK'
  | 'TRB_SOURCE_TIMEOUT'
  | 'TRB_SOURCE_BAD_RESPONSE'
  | 'TRB_SOURCE_RECORD'
  | 'TRB_SOURCE_REDIRECT'
  /** The API broke its own paging contract, so the pass could not be proven complete (nothing swept). */
  | 'TRB_SOURCE_CONTRACT'
  | 'TRB_DEST_OPEN'
  | 'TRB_DEST_LOCKED'
  | 'TRB_DEST_WRITE'
  | 'TRB_DEST_SCHEMA'
  | 'TRB_DEST_CONNECTION'
  | 'TRB_INTERNAL';

/** Base class: a stable `code`, an exit code, and optional structured `details` (never secrets). */
export class TributaryError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly details: Record<string, unknown>;
  /** Whether retrying the same operation might succeed (used by the HTTP client and destinations). */
  readonly retryable: boolean;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { exitCode?: number; details?: Record<string, unknown>; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = opts.exitCode ?? 1;
    this.details = opts.details ?? {};
    this.retryable = opts.retryable ?? false;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, ...this.details };
  }
}

/** Bad configuration, manifest or CLI usage: exit code 2. */
export class ConfigError extends TributaryError {
  constructor(
    message: string,
    opts: { code?: ErrorCode; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(opts.code ?? 'TRB_CONFIG_INVALID', message, { ...opts, exitCode: 2 });
  }
}

/** The API rejected our credentials (401/403). Never retried; the message never echoes the secret. */
export class AuthError extends TributaryError {
  constructor(message: string, opts: { details?: Record<string, unknown> } = {}) {
    super('TRB_AUTH', message, { ...opts, exitCode: 1 });
  }
}

/** Retries ran out while the API kept answering 429. */
export class RateLimitError extends TributaryError {
  constructor(message: string, opts: { details?: Record<string, unknown> } = {}) {
    super('TRB_RATE_LIMITED', message, { ...opts, exitCode: 1, retryable: true });
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
    super(code, message, { ...opts, exitCode: 1 });
  }
}

/** The destination could not be opened or written. */
export class DestinationError extends TributaryError {
  constructor(
    code: Extract<
      ErrorCode,
      'TRB_DEST_OPEN' | 'TRB_DEST_LOCKED' | 'TRB_DEST_WRITE' | 'TRB_DEST_SCHEMA' | 'TRB_DEST_CONNECTION'
    >,
    message: string,
    opts: { details?: Record<string, unknown>; retryable?: boolean; cause?: unknown; exitCode?: number } = {},
  ) {
    // A destination that cannot be opened because of what the user typed (bad path, missing database)
    // passes exitCode 2; failures during a sync keep 1.
    super(code, message, { ...opts, exitCode: opts.exitCode ?? 1 });
  }
}

export function isTributaryError(err: unknown): err is TributaryError {
  return err instanceof TributaryError;
}
