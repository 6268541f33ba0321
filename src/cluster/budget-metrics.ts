/**
 * Per-credential rate budget metrics, per minute, for the dashboard. Counted by RedisRateBudget
 * (src/http/redis-rate-budget.ts) in Redis with a 2 h TTL. A credential is named by the connections that
 * use it, never by its value or its hash.
 */
import type { Redis } from 'ioredis';
import type { ClusterKeys } from './keys.js';

export interface BudgetMinute {
  /** ISO start of the minute (UTC). */
  minute: string;
  /** Requests granted a slot. */
  requests: number;
  /** The budget's limit per minute (undefined: the vendor publishes none). */
  limit?: number;
  /** Total time requests waited for a slot, ms. */
  waitMs: number;
  http429: number;
}

export interface BudgetSeries {
  /** An opaque id for links (not derived from the credential). Stable while the same connections use it. */
  id: string;
  /** A person's name for the credential: "credential of crm, crm-eu". */
  label: string;
  /** Connections that used this credential in the window, sorted. */
  connections: string[];
  limit?: number;
  /** One entry per minute of the last hour, oldest first, zeros where nothing happened. */
  minutes: BudgetMinute[];
  totals: { requests: number; waitMs: number; http429: number };
}

/** Every credential used in the last hour. */
export async function readBudgets(
  _redis: Redis,
  _keys: ClusterKeys,
  _opts: { now?: Date; minutes?: number } = {},
): Promise<BudgetSeries[]> {
  throw new Error('not implemented');
}
