/**
 * Every Redis key the cluster uses, in one place, all under the configured prefix (default `trb`). BullMQ's
 * keys live under `${prefix}:bull:${QUEUE}:…`; tributary's own per-connection keys beside them.
 */

/** The one queue every sync job goes through. */
export const QUEUE = 'sync';

export class ClusterKeys {
  constructor(readonly prefix: string) {}

  /** BullMQ's `prefix` option: its keys become `${prefix}:bull:sync:…`. */
  get bullPrefix(): string {
    return `${this.prefix}:bull`;
  }

  /** The fencing counter of a connection: INCR'd by each sync that starts (fence.ts). */
  fence(connection: string): string {
    return `${this.prefix}:fence:${connection}`;
  }

  /** Which job holds a connection right now (lease.ts): one sync per connection at a time. */
  lease(connection: string): string {
    return `${this.prefix}:lease:${connection}`;
  }

  /** Hash connection -> JSON of the running sync (worker, job, since), for `status`. */
  get running(): string {
    return `${this.prefix}:running`;
  }

  /** Hash connection -> JSON of the last finished run, for `status`. */
  get lastRun(): string {
    return `${this.prefix}:last-run`;
  }

  /** Hash connection -> consecutive failed runs (reset by a success). */
  get failures(): string {
    return `${this.prefix}:failures`;
  }

  /** Hash connection -> JSON {reason, at}: paused connections (pause.ts). */
  get paused(): string {
    return `${this.prefix}:paused`;
  }

  /** Pub/sub channel on which `cancel` names a connection whose running sync must stop. */
  get cancelChannel(): string {
    return `${this.prefix}:cancel`;
  }

  /** String, JSON LiveRun of the connection's running (or just ended) sync, with a TTL (live-progress.ts). */
  live(connection: string): string {
    return `${this.prefix}:live:${connection}`;
  }

  /** Sorted set connection -> ms of its last live update: which live snapshots to read. */
  get liveIndex(): string {
    return `${this.prefix}:live-index`;
  }

  /** Pub/sub channel carrying every live update (a LiveRun as JSON). */
  get liveChannel(): string {
    return `${this.prefix}:live-updates`;
  }

  /** List of JSON RunRecords of a connection, newest first, capped (run-history.ts). */
  runs(connection: string): string {
    return `${this.prefix}:runs:${connection}`;
  }

  /** String, JSON RunRecord of one run, by run id (with a TTL), for a run's page. */
  run(runId: string): string {
    return `${this.prefix}:run:${runId}`;
  }

  /** List of a run's redacted JSON log lines, oldest first, capped, with a TTL (run-log.ts). */
  runLog(runId: string): string {
    return `${this.prefix}:run-log:${runId}`;
  }

  /** Hash stream -> JSON StreamStatus of a connection, written at each run's end (stream-status.ts). */
  streams(connection: string): string {
    return `${this.prefix}:streams:${connection}`;
  }

  /** A credential's rate budget state (redis-rate-budget.ts); `credentialHash` is a hex hash, never the value. */
  budget(credentialHash: string): string {
    return `${this.prefix}:budget:${credentialHash}`;
  }

  /** Hash {requests, waitMs, http429, limit} of a credential's budget in one minute (ms epoch of its start). */
  budgetMinute(credentialHash: string, minuteMs: number): string {
    return `${this.prefix}:budget-minute:${credentialHash}:${minuteMs}`;
  }

  /** Sorted set credential hash -> ms of its last use: which budgets have metrics. */
  get budgetIndex(): string {
    return `${this.prefix}:budget-index`;
  }

  /** Sorted set connection -> ms it last used the credential: how the dashboard names a credential. */
  budgetConnections(credentialHash: string): string {
    return `${this.prefix}:budget-connections:${credentialHash}`;
  }
}
