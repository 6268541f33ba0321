/**
 * Transactions on a pool of server connections, the part of a dialect's connection role (dialect.ts) that
 * does not depend on the driver: each stream's work in order while streams run side by side, one transaction
 * per attempt on a pooled connection, the whole transaction replayed after a transient failure (a lost
 * connection, a deadlock: each rolled everything back) with doubling delays, and driver errors mapped to
 * DestinationError. The dialect supplies the driver as a few hooks and writes its own open and close.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, DestinationError } from '../../errors.js';
import type { DialectConnection, Tx } from './dialect.js';

export interface RetryOptions {
  /** Attempts per transaction when it fails transiently. */
  maxAttempts: number;
  /** First retry delay; doubles per attempt. */
  retryDelayMs: number;
}

/**
 * The base of a pooled dialect connection. `C` is the driver's pooled connection; the hooks below are what
 * the driver does for one transaction, and the dialect writes its own open() and close() (which calls drain()).
 */
export abstract class PooledSession<C, T extends Tx> implements DialectConnection<T> {
  /** Per-stream queue: writes, sweeps and swaps of one stream never overlap. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly retry: RetryOptions,
    private readonly errors: {
      /** Whether the failure rolled back the whole transaction and a replay on a fresh connection may succeed. */
      isTransient(err: unknown): boolean;
      /** The driver error as a DestinationError whose message names `what`. */
      map(err: unknown, what: string): DestinationError;
    },
  ) {}

  abstract open(setup: (tx: T) => Promise<void>): Promise<void>;
  abstract close(): Promise<void>;

  /** Throws when the session cannot run transactions (not opened yet, or closed). */
  protected abstract assertOpen(): void;
  /** A connection from the pool (after making sure the namespace lock is still held, where it must be). */
  protected abstract acquire(): Promise<C>;
  /** Start the transaction (and check the lock from inside it, where the dialect does so). */
  protected abstract begin(client: C): Promise<void>;
  /** Run a statement that returns nothing (COMMIT, ROLLBACK). */
  protected abstract exec(client: C, sql: string): Promise<void>;
  /** Back to the pool, or, when `broken` (its transaction failed), closed so it is never reused. */
  protected abstract release(client: C, broken: boolean): void;
  protected abstract tx(client: C): T;

  /**
   * Run `fn` in one transaction, after earlier work on `stream` (bookkeeping, `stream` undefined, runs
   * beside the streams). A DestinationError or ConfigError thrown inside passes through unchanged.
   */
  async transaction<R>(
    what: string,
    stream: string | undefined,
    fn: (tx: T, attempt: number) => Promise<R>,
  ): Promise<R> {
    this.assertOpen();
    return stream === undefined
      ? this.attempts(what, fn)
      : this.serialize(stream, () => this.attempts(what, fn));
  }

  /** Wait until every queued transaction has settled (before the pool is ended). */
  protected async drain(): Promise<void> {
    await Promise.allSettled([...this.queues.values()]);
  }

  private async attempts<R>(what: string, fn: (tx: T, attempt: number) => Promise<R>): Promise<R> {
    for (let attempt = 1; ; attempt++) {
      this.assertOpen();
      let client: C | undefined;
      try {
        client = await this.acquire();
        await this.begin(client);
        const result = await fn(this.tx(client), attempt);
        await this.exec(client, 'COMMIT');
        this.release(client, false);
        return result;
      } catch (err) {
        if (client !== undefined) {
          await this.exec(client, 'ROLLBACK').catch(() => undefined);
          // Never reuse a session whose transaction failed mid-way: it may be dead or mid-statement.
          this.release(client, true);
        }
        if (err instanceof DestinationError || err instanceof ConfigError) throw err;
        if (this.errors.isTransient(err) && attempt < this.retry.maxAttempts) {
          await sleep(this.retry.retryDelayMs * 2 ** (attempt - 1));
          continue;
        }
        const mapped = this.errors.map(err, what);
        if (attempt === 1) throw mapped;
        throw new DestinationError(
          mapped.code as ConstructorParameters<typeof DestinationError>[0],
          `${mapped.message} (gave up after ${attempt} attempts)`,
          {
            details: { ...mapped.details, attempts: attempt },
            // A connection that kept dropping may well hold on the next run.
            retryable: mapped.retryable || mapped.code === 'TRB_DEST_CONNECTION',
          },
        );
      }
    }
  }

  private serialize<R>(stream: string, fn: () => Promise<R>): Promise<R> {
    const next = (this.queues.get(stream) ?? Promise.resolve()).then(fn, fn);
    const settled = next.catch(() => undefined);
    this.queues.set(stream, settled);
    void settled.then(() => {
      if (this.queues.get(stream) === settled) this.queues.delete(stream);
    });
    return next;
  }
}
