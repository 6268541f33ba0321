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
}
