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

/** Every credential used in the last `minutes` (default 60), most used first. */
export async function readBudgets(
  redis: Redis,
  keys: ClusterKeys,
  opts: { now?: Date; minutes?: number } = {},
): Promise<BudgetSeries[]> {
  const now = (opts.now ?? new Date()).getTime();
  const count = Math.max(1, Math.min(120, opts.minutes ?? 60));
  const last = Math.floor(now / 60_000) * 60_000;
  const first = last - (count - 1) * 60_000;
  const hashes = await redis.zrangebyscore(keys.budgetIndex, first, '+inf');
  const out: BudgetSeries[] = [];
  for (const hash of hashes) {
    const p = redis.pipeline();
    for (let m = first; m <= last; m += 60_000) p.hgetall(keys.budgetMinute(hash, m));
    p.zrangebyscore(keys.budgetConnections(hash), first, '+inf');
    const replies = (await p.exec()) ?? [];
    const minutes: BudgetMinute[] = [];
    let limit: number | undefined;
    for (let i = 0; i < count; i++) {
      const h = (replies[i]?.[1] ?? {}) as Record<string, string>;
      const l = h.limit === undefined ? undefined : Number(h.limit);
      if (l !== undefined) limit = l;
      minutes.push({
        minute: new Date(first + i * 60_000).toISOString(),
        requests: Number(h.requests ?? 0),
        ...(l !== undefined ? { limit: l } : {}),
        waitMs: Number(h.waitMs ?? 0),
        http429: Number(h.http429 ?? 0),
      });
    }
    const totals = {
      requests: minutes.reduce((a, m) => a + m.requests, 0),
      waitMs: minutes.reduce((a, m) => a + m.waitMs, 0),
      http429: minutes.reduce((a, m) => a + m.http429, 0),
    };
    if (totals.requests === 0 && totals.http429 === 0) continue;
    const connections = ((replies[count]?.[1] ?? []) as string[]).slice().sort();
    out.push({
      id: connections.length ? connections.join(',') : `credential-${out.length + 1}`,
      label: connections.length
        ? `credential of ${connections.join(', ')}`
        : 'credential of a connection not named (a sync outside the workers)',
      connections,
      ...(limit !== undefined ? { limit } : {}),
      minutes,
      totals,
    });
  }
  // Two credentials used by the same connections (one per origin) keep distinct ids.
  const seen = new Map<string, number>();
  for (const b of out) {
    const n = (seen.get(b.id) ?? 0) + 1;
    seen.set(b.id, n);
    if (n > 1) b.id = `${b.id}#${n}`;
  }
  return out.sort((a, b) => b.totals.requests - a.totals.requests || a.id.localeCompare(b.id));
}
