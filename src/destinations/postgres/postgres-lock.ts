/**
 * The per-schema sync lock: a session-level `pg_advisory_lock`, held on a dedicated connection from
 * open() to close(), so two syncs of the same connection never interleave their writes.
 */
import pg from 'pg';
import { DestinationError } from '../../errors.js';
import { mapOpenError, type Redactor, type Target } from './postgres-errors.js';
import { namespaceLockedError } from '../sql/driver-errors.js';
import { advisoryLockKey } from './postgres-sql.js';

export interface SchemaLockOptions {
  client: pg.ClientConfig;
  target: Target;
  redactor: Redactor;
  /** How long open() waits for another sync to finish before failing with TRB_DEST_LOCKED. */
  timeoutMs: number;
}

/** A session that holds the advisory lock for one schema. */
export class SchemaLock {
  private client: pg.Client | undefined;
  private lost = false;
  private readonly key: ReturnType<typeof advisoryLockKey>;

  constructor(private readonly opts: SchemaLockOptions) {
    this.key = advisoryLockKey(opts.target.schema);
  }

  /** Connect and take the lock, waiting up to the timeout. Throws TRB_DEST_OPEN, TRB_DEST_UNREACHABLE or TRB_DEST_LOCKED. */
  async acquire(): Promise<void> {
    let client: pg.Client;
    try {
      client = await this.connect();
    } catch (err) {
      throw mapOpenError(err, this.opts.target, this.opts.redactor);
    }
    try {
      // lock_timeout bounds the wait for the advisory lock like any other heavyweight lock.
      await client.query(`SET lock_timeout = ${Math.max(1, Math.round(this.opts.timeoutMs))}`);
      try {
        await client.query('SELECT pg_advisory_lock($1::bigint)', [this.key.key]);
      } catch (err) {
        if ((err as { code?: string }).code === '55P03') throw await this.lockedError(client, false);
        throw err;
      }
      await client.query('SET lock_timeout = 0');
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err instanceof DestinationError ? err : mapOpenError(err, this.opts.target, this.opts.redactor);
    }
    this.client = client;
  }

  /**
   * Before each transaction: if the lock session died (the server ended it, the network dropped), the
   * lock went with it. Take it again without waiting; if another sync got it meanwhile, stop with
   * TRB_DEST_LOCKED. Connection failures are thrown as they are, for the caller's retry loop.
   */
  async ensureHeld(): Promise<void> {
    if (this.client !== undefined && !this.lost) return;
    const old = this.client;
    this.client = undefined;
    await old?.end().catch(() => undefined);
    const client = await this.connect();
    let got: boolean;
    try {
      const res = await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS got', [
        this.key.key,
      ]);
      got = res.rows[0]?.got === true;
      if (!got) throw await this.lockedError(client, true);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    this.lost = false;
    this.client = client;
  }

  /**
   * Inside a write transaction (on another session): check in pg_locks that the lock session still holds
   * the lock, and take it again if not. The socket may not have told us yet that the lock session died,
   * so this is what makes "two syncs never interleave" hold for every committed transaction.
   */
  async verify(client: pg.ClientBase): Promise<void> {
    const pid = this.pid;
    if (pid !== undefined && !this.lost) {
      const res = await client.query<{ held: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM pg_locks
                         WHERE locktype = 'advisory' AND granted AND classid = $1 AND objid = $2 AND objsubid = 1
                           AND pid = $3
                           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) AS held`,
        [this.key.classid, this.key.objid, pid],
      );
      if (res.rows[0]?.held === true) return;
    }
    this.lost = true;
    await this.ensureHeld();
  }

  /** Release the lock and close its session. */
  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client === undefined) return;
    if (!this.lost) {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [this.key.key]).catch(() => undefined);
    }
    await client.end().catch(() => undefined);
  }

  /** Backend pid of the lock session (tests use it to simulate a lost session). */
  get pid(): number | undefined {
    return (this.client as unknown as { processID?: number } | undefined)?.processID;
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({
      ...this.opts.client,
      application_name: `${this.opts.client.application_name ?? 'tributary'}:lock`,
    });
    // Without a listener, an error on an idle connection would crash the process.
    client.on('error', () => {
      if (this.client === client) this.lost = true;
    });
    client.on('end', () => {
      if (this.client === client) this.lost = true;
    });
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    return client;
  }

  private async lockedError(client: pg.Client, reacquiring: boolean): Promise<DestinationError> {
    const { target, timeoutMs } = this.opts;
    let holder = '';
    try {
      const res = await client.query<{ pid: number; application_name: string; client_addr: string | null }>(
        `SELECT a.pid, a.application_name, a.client_addr::text AS client_addr
           FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 1
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        [this.key.classid, this.key.objid],
      );
      const h = res.rows[0];
      if (h !== undefined) {
        holder = ` (held by backend pid ${h.pid}, application "${h.application_name}"${h.client_addr ? ` from ${h.client_addr}` : ''})`;
      }
    } catch {
      // The holder is a nicety; the error stands without it.
    }
    return namespaceLockedError(target, {
      noun: 'schema',
      holder,
      reacquiring,
      timeoutMs,
      redact: (t) => this.opts.redactor.redact(t),
    });
  }
}
