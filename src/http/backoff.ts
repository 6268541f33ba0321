/** Retry timing: exponential backoff with full jitter, and Retry-After parsing (seconds or HTTP-date). */

export interface BackoffOptions {
  /** Delay before the first retry, before jitter. */
  baseMs: number;
  /** Upper bound for any single delay (also caps a server's Retry-After). */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 60_000 };

/** Delay before retry number `attempt` (0-based): uniform in [d/2, d] where d = base × 2^attempt, capped. */
export function backoffDelay(
  attempt: number,
  opts: BackoffOptions = DEFAULT_BACKOFF,
  rand = Math.random,
): number {
  const d = Math.min(opts.maxMs, opts.baseMs * 2 ** attempt);
  return Math.round(d / 2 + rand() * (d / 2));
}

/**
 * Parse a Retry-After header: delta-seconds (`"7"`) or an HTTP-date. Returns milliseconds from `now`,
 * or undefined when absent or unparsable (the caller then falls back to backoff).
 */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  const s = v.trim();
  if (s === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const t = Date.parse(s);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}
