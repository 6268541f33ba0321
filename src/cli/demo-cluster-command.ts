/**
 * `tributary demo-cluster` (`npm run demo:cluster`): the cluster of docs/scale-out.md on one machine, with
 * real processes. It starts the bundled simulators (in this process, so it can count what they serve), writes
 * a connections file into a temp dir, starts a scheduler (`tributary serve`) and two workers (`tributary
 * worker`) as child processes on Redis, queues a run of four connections (two Hellobaton accounts sharing one
 * API key, so one rate budget; Humaans; Hellobaton into a DuckDB file), SIGKILLs the worker running one of the
 * shared-key syncs mid-sync, and tells what happened from Redis: who ran what, the kill, the takeover, the
 * requests per minute the shared key's simulator saw, and per connection whether the destination holds exactly
 * the simulator's records.
 *
 * A CLI command rather than a script: it needs the built simulators, connections loader and cluster keys, and a
 * user of the published package has the `tributary` bin but not the repository's scripts/.
 *
 * Everything it creates is its own and removed on exit or Ctrl-C: a Redis key prefix and PostgreSQL schemas
 * named after a per-run id, the temp dir, the child processes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import pc from 'picocolors';
import { ClusterKeys } from '../cluster/keys.js';
import { checkRedis, openRedis, type RedisTarget } from '../cluster/redis-connection.js';
import type { LastRun } from '../cluster/sync-job.js';
import { enqueueRun } from '../cluster/enqueue.js';
import { openQueue } from '../cluster/sync-queue.js';
import { findConnection, loadConnectionsFile } from '../connections/connections-file.js';
import { DestinationError } from '../errors.js';
import type { SimulatorHandle } from '../simulator/types.js';
import { displayUrl } from '../util/display-url.js';
import { globalRedactor } from '../util/redact.js';
import { intOption } from './common.js';
import { connect } from './demo-preview.js';
import { textTable } from './text-table.js';

interface DemoClusterOptions {
  redis?: string;
  postgres?: string;
  records?: number;
  rateLimit?: number;
  timeout?: number;
  keep?: boolean;
  dashboardPort?: number;
}

const DEFAULT_POSTGRES = 'postgres://postgres@127.0.0.1:5432/test';
const DEFAULT_REDIS = 'redis://127.0.0.1:6379';
/** Short enough that the takeover shows within seconds (the production defaults are 30 s + 30 s). */
const LOCK_MS = 2000;
const STALLED_MS = 1000;
/** The worker running a shared-key sync is killed this long after the sync started. */
const KILL_AFTER_MS = 1500;
const SHARED_KEY = 'demo-shared-baton-key';
const OWN_KEY = 'demo-own-baton-key';
const HUMAANS_TOKEN = 'demo-humaans-token';
const CLI = join(dirname(fileURLToPath(import.meta.url)), 'main.js');
/** The node flags on the bin's shebang (`#!/usr/bin/env -S node --max-old-space-size=256 …`), read from it. */
function cliNodeFlags(): string[] {
  const first = readFileSync(CLI, 'utf8').split('\n', 1)[0]!;
  return (/^#!.*\bnode\s+(.*)$/.exec(first)?.[1] ?? '').split(/\s+/).filter((f) => f.startsWith('--'));
}

export function registerDemoCluster(program: Command): void {
  program
    .command('demo-cluster')
    .description(
      'run the cluster locally: simulators, a scheduler and two workers on Redis, four connections, one worker killed mid-sync',
    )
    .option('--redis <url>', `Redis to use (default: env TRIBUTARY_REDIS_URL, else ${DEFAULT_REDIS})`)
    .option('--postgres <url>', `PostgreSQL to load into (default: ${DEFAULT_POSTGRES})`)
    .addOption(
      intOption(
        '--records <n>',
        "simulated dataset size per connection (each simulator's main stream)",
        10,
        100_000,
        3000,
      ),
    )
    .addOption(
      intOption(
        '--rate-limit <n>',
        'requests/min the shared Hellobaton key may make (enforced by its simulator, shared by both accounts)',
        60,
        100_000,
        120,
      ),
    )
    .addOption(intOption('--timeout <s>', 'give up (and clean up) after this many seconds', 10, 3600, 180))
    .option('--keep', 'after the report, keep the cluster and its dashboard up until Ctrl-C', false)
    .addOption(
      intOption('--dashboard-port <port>', "the dashboard's port (serve's; 0: any free one)", 0, 65535, 4321),
    )
    .action(async (o: DemoClusterOptions) => {
      process.exitCode = await runDemoCluster(o);
    });
}

interface DemoConnection {
  name: string;
  what: string;
  sim: SimulatorHandle;
  destination: string;
  namespace: string;
}

export async function runDemoCluster(o: DemoClusterOptions): Promise<number> {
  const redisUrl = o.redis ?? process.env.TRIBUTARY_REDIS_URL ?? DEFAULT_REDIS;
  const pgUrl = o.postgres ?? DEFAULT_POSTGRES;
  const records = o.records ?? 3000;
  const rateLimit = o.rateLimit ?? 120;
  const timeoutMs = (o.timeout ?? 180) * 1000;
  const id = randomBytes(4).toString('hex');
  const target: RedisTarget = { url: redisUrl, prefix: `trbdemo-${id}` };
  // Both services are checked before anything starts, each failure naming the address it tried.
  await checkRedis(target);
  await checkPostgres(pgUrl);

  const t0 = Date.now();
  const say = (s: string) => process.stdout.write(`${s}\n`);
  const at = (s: string) => say(`${pc.dim(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s]`)} ${s}`);
  const { simulators } = await import('../simulator/registry.js');
  const dir = mkdtempSync(join(tmpdir(), 'tributary-demo-cluster-'));
  const keys = new ClusterKeys(target.prefix);
  const redis = openRedis(target);
  const queue = openQueue(redis, keys);
  queue.on('error', () => undefined);
  const sims: SimulatorHandle[] = [];
  const children = new Map<string, ChildProcess>();
  const connections: DemoConnection[] = [];
  // Ctrl-C (or the time bound) stops the wait; the finally below cleans up either way.
  const stop = new AbortController();
  const onSignal = () => stop.abort(new Error('interrupted (Ctrl-C)'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const timer = setTimeout(
    () => stop.abort(new Error(`the demo did not finish within ${timeoutMs / 1000} s (--timeout)`)),
    timeoutMs,
  );
  try {
    const shared = await simulators.hellobaton!({
      seed: 42,
      records,
      token: SHARED_KEY,
      latencyMs: 20,
      rateLimitPerMinute: rateLimit,
    });
    sims.push(shared);
    const own = await simulators.hellobaton!({ seed: 43, records, token: OWN_KEY, rateLimitPerMinute: 0 });
    sims.push(own);
    const humaans = await simulators.humaans!({
      seed: 44,
      records,
      token: HUMAANS_TOKEN,
      latencyMs: 20,
      rateLimitPerMinute: 0,
    });
    sims.push(humaans);
    const pg = (name: string) => ({
      destination: pgUrl,
      namespace: `trbdemo_${id}_${name.replace(/-/g, '_')}`,
    });
    const baton = (company: string, key: string, sim: SimulatorHandle) => ({
      // The shared key comes from the workers' environment, as a real secret would (serve never needs it).
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a connections-file ${ENV} reference, not a template
      api_key: key === SHARED_KEY ? '${DEMO_BATON_KEY}' : key,
      company,
      base_url: sim.baseUrl,
      requests_per_minute: key === SHARED_KEY ? rateLimit : 1000,
    });
    const file = join(dir, 'tributary.yaml');
    const spec = [
      {
        name: 'baton-acme',
        connector: 'hellobaton',
        config: baton('acme', SHARED_KEY, shared),
        ...pg('baton-acme'),
        what: 'Hellobaton (shared key) → PostgreSQL',
        sim: shared,
      },
      {
        name: 'baton-globex',
        connector: 'hellobaton',
        config: baton('globex', SHARED_KEY, shared),
        ...pg('baton-globex'),
        what: 'Hellobaton (shared key) → PostgreSQL',
        sim: shared,
      },
      {
        name: 'humaans',
        connector: 'humaans',
        config: { api_token: HUMAANS_TOKEN, base_url: humaans.baseUrl, initial_sync_days: 0 },
        ...pg('humaans'),
        what: 'Humaans → PostgreSQL',
        sim: humaans,
      },
      {
        name: 'baton-duck',
        connector: 'hellobaton',
        config: baton('initech', OWN_KEY, own),
        destination: `duckdb:${join(dir, 'demo.duckdb')}`,
        namespace: 'baton_duck',
        what: 'Hellobaton (own key) → DuckDB',
        sim: own,
      },
    ];
    writeFileSync(
      file,
      JSON.stringify(
        {
          connections: spec.map(({ what: _w, sim: _s, ...c }) => ({
            ...c,
            schedule: { every: '1h' },
            retry: { attempts: 3, backoff: '1s', pauseAfter: 5 },
          })),
        },
        null,
        2,
      ),
    );
    for (const s of spec)
      connections.push({
        name: s.name,
        what: s.what,
        sim: s.sim,
        destination: s.destination,
        namespace: s.namespace,
      });

    say(pc.bold('== tributary cluster demo =='));
    say(
      `Redis ${displayUrl(redisUrl, globalRedactor)} (key prefix ${target.prefix}), PostgreSQL ${displayUrl(pgUrl, globalRedactor)}`,
    );
    say(`connections file: ${file}`);
    for (const c of connections)
      say(`  ${c.name.padEnd(13)} ${c.what}${c.destination === pgUrl ? ` (schema ${c.namespace})` : ''}`);
    say(
      `the shared key's simulator allows ${rateLimit} requests/min; both accounts draw on one budget in Redis`,
    );

    const env = { DEMO_BATON_KEY: SHARED_KEY, TRIBUTARY_LOG_LEVEL: 'warn', FORCE_COLOR: '0' };
    const cluster = ['--file', file, '--redis', redisUrl, '--prefix', target.prefix];
    const start = (name: string, args: string[]) => {
      // The node flags of the `tributary` bin's shebang, as an installed worker runs.
      const child = spawn(process.execPath, [...cliNodeFlags(), CLI, ...args, ...cluster], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      children.set(name, child);
      let tail = '';
      child.stderr!.on('data', (d: Buffer) => {
        tail = (tail + d.toString()).slice(-4000);
        const url = d.toString().match(/dashboard at (http:\/\/\S+)/)?.[1];
        if (url) dashboardUrl = url;
        for (const line of d.toString().split('\n')) if (line.trim()) at(pc.dim(`${name}: ${logLine(line)}`));
      });
      child.on('exit', (code, signal) => {
        if (children.get(name) === child && !stop.signal.aborted && signal !== 'SIGKILL')
          stop.abort(new Error(`${name} exited (${signal ?? `code ${code}`}): ${tail.trim()}`));
      });
      return child;
    };
    let dashboardUrl: string | undefined;
    start('serve', ['serve', '--dashboard-port', String(o.dashboardPort ?? 4321)]);
    for (const w of ['worker-1', 'worker-2'])
      start(w, [
        'worker',
        '--name',
        w,
        '--concurrency',
        '2',
        '--lock-duration',
        String(LOCK_MS),
        '--stalled-interval',
        String(STALLED_MS),
        '--batch-rows',
        '50',
      ]);
    await until(stop.signal, async () => ((await queue.getWorkersCount()) >= 2 ? true : undefined));
    await until(stop.signal, async () => dashboardUrl);
    at(
      pc.bold(
        `dashboard: ${dashboardUrl} (connections, runs, live progress, budgets; Bull Board at /queues)`,
      ),
    );
    at(`2 workers ready (concurrency 2 each, lock ${LOCK_MS} ms, stalled check every ${STALLED_MS} ms)`);

    const loaded = loadConnectionsFile(file, process.env, { resolveSecrets: false });
    const since = Date.now();
    for (const c of connections) {
      await enqueueRun(redis, queue, keys, findConnection(loaded, c.name));
    }
    at(`queued a run of each connection (as \`tributary run NAME\` does)`);
    for (const s of sims) s.resetStats();
    const sharedStart = shared.requests().length;

    // Watch Redis: each new running entry (a new fence) is a start or a takeover; each last run, an end.
    const seen = new Map<string, number>();
    const history = new Map<string, string[]>();
    const done = new Map<string, LastRun>();
    let killed: { worker: string; connections: string[]; at: number } | undefined;
    const takeovers: number[] = [];
    await until(
      stop.signal,
      async () => {
        const running = await redis.hgetall(keys.running);
        for (const [name, raw] of Object.entries(running)) {
          const r = JSON.parse(raw) as {
            worker: string;
            jobId: string;
            fence: number;
            since: string;
            attempt: number;
          };
          if (seen.get(name) === r.fence) continue;
          seen.set(name, r.fence);
          history.set(name, [...(history.get(name) ?? []), r.worker]);
          if (killed?.connections.includes(name)) {
            const takeoverMs = Date.parse(r.since) - killed.at;
            takeovers.push(takeoverMs);
            at(
              pc.green(
                `${r.worker} took over ${name} (job ${r.jobId}) ${(takeoverMs / 1000).toFixed(1)} s after the kill; it runs the sync again from its committed state`,
              ),
            );
          } else at(`${r.worker} started ${name} (job ${r.jobId}, fence ${r.fence})`);
        }
        if (killed === undefined) {
          // The first shared-key sync that is mid-sync: it has committed rows (so the takeover has a checkpoint
          // to go on from), or, if its batches are slow to fill, it has at least run a while.
          for (const name of ['baton-acme', 'baton-globex']) {
            const raw = running[name];
            if (raw === undefined) continue;
            const r = JSON.parse(raw) as { worker: string; since: string };
            const ran = Date.now() - Date.parse(r.since);
            if (ran < KILL_AFTER_MS) continue;
            if (
              ran < 4 * KILL_AFTER_MS &&
              (await committedRows(connections.find((x) => x.name === name)!)) === 0
            )
              continue;
            const victim = children.get(r.worker)!;
            const its = Object.entries(running)
              .filter(([, x]) => (JSON.parse(x) as { worker: string }).worker === r.worker)
              .map(([n]) => n);
            killed = { worker: r.worker, connections: its, at: Date.now() };
            victim.kill('SIGKILL');
            at(
              pc.red(
                `SIGKILL ${r.worker} (pid ${victim.pid}) while it runs ${its.join(' and ')}; ` +
                  `its jobs come back after the lock (${LOCK_MS} ms) expires and a stalled check (every ${STALLED_MS} ms) finds them`,
              ),
            );
            // What the killed syncs had committed: it stays, and the takeover resumes after it. (A DuckDB file is
            // not opened here: this process would hold its lock against the worker taking over.)
            for (const n of its) {
              const c = connections.find((x) => x.name === n)!;
              if (c.destination !== pgUrl) continue;
              at(`  ${n}: ${await committedRows(c)} rows committed before the kill`);
            }
            break;
          }
        }
        const last = await redis.hgetall(keys.lastRun);
        for (const [name, raw] of Object.entries(last)) {
          const l = JSON.parse(raw) as LastRun;
          if (done.has(name) || Date.parse(l.endedAt) < since) continue;
          // A failed attempt that BullMQ retries is not the end of the connection's run.
          if (l.status === 'failed' && l.attempt < 3) {
            at(pc.yellow(`${name} attempt ${l.attempt} failed on ${l.worker}: ${l.error ?? ''}; retrying`));
            continue;
          }
          done.set(name, l);
          // A sync shorter than one poll is never seen running: its last run says where it ran.
          if (!history.has(name)) history.set(name, [l.worker]);
          at(
            `${name} ${l.status} on ${l.worker} (${l.records ?? 0} rows, ${(l.durationMs / 1000).toFixed(1)} s)`,
          );
        }
        return done.size === connections.length ? true : undefined;
      },
      100,
    );

    // Every connection has a last run, but that is not yet "every worker is done with it": an attempt that lost
    // its job lock under load (a zombie) writes its last run while the attempt that took its job over (in a
    // DuckDB file's case, delayed because the zombie held the file) comes back later and opens the file again.
    // The checks below open the destinations, so they wait until no sync job is pending or running (the
    // schedulers' next runs, an hour away, are not) and no sync says it runs.
    await until(
      stop.signal,
      async () => ((await syncsInFlight(queue, redis, keys)) === 0 ? true : undefined),
      200,
    );

    // The shared budget, as the simulator saw it: every request it served with the shared key.
    const times = shared
      .requests()
      .slice(sharedStart)
      .filter((r) => r.status !== 429)
      .map((r) => r.at)
      .sort((a, b) => a - b);
    const refused = shared.requests().filter((r) => r.status === 429).length;
    say(pc.bold('\n== shared rate budget (both Hellobaton accounts, one key) =='));
    const spanMs = times.length > 1 ? times[times.length - 1]! - times[0]! : 0;
    const busiest = maxInWindow(times, 60_000);
    say(
      `the simulator served ${times.length} requests with the shared key over ${(spanMs / 1000).toFixed(1)} s ` +
        `(${spanMs > 0 ? Math.round((times.length * 60_000) / spanMs) : times.length}/min on average); ` +
        `busiest 60 s window ${busiest} against a limit of ${rateLimit}/min; ${refused} refused with 429`,
    );
    say(`requests per 10 s: ${perBucket(times, 10_000).join(' · ')}`);

    say(pc.bold('\n== per connection =='));
    const rows: string[][] = [];
    let ok =
      killed !== undefined &&
      takeovers.length === killed.connections.length &&
      busiest <= rateLimit &&
      refused === 0;
    for (const c of connections) {
      const l = done.get(c.name)!;
      const check =
        l.status === 'succeeded'
          ? await exactCopy(c).catch((err: unknown) => `NOT CHECKED: ${(err as Error).message}`)
          : `not checked (${l.status}: ${l.error ?? ''})`;
      ok &&= l.status === 'succeeded' && check.startsWith('exact copy');
      rows.push([
        c.name,
        c.destination.startsWith('duckdb:') ? 'DuckDB' : 'PostgreSQL',
        (history.get(c.name) ?? []).join(' → '),
        l.status,
        String(l.records ?? 0),
        check,
      ]);
    }
    say(
      textTable(
        [
          'connection',
          'into',
          'ran on',
          'status',
          'rows written (last attempt)',
          'check against the simulator',
        ],
        rows,
        [4],
      ),
    );
    if (killed === undefined)
      say(pc.red('no shared-key sync ran long enough to be killed mid-sync; try more --records'));
    say(
      ok
        ? pc.green('\nall four connections are exact copies; one worker was killed and its work taken over')
        : pc.red('\nthe demo did not end as expected (see above)'),
    );
    if (o.keep) {
      // The dashboard stays up on what the demo made; only Ctrl-C ends it now (not the --timeout).
      clearTimeout(timer);
      say(pc.bold(`\nthe cluster stays up: open ${dashboardUrl} (Ctrl-C stops it and cleans up)`));
      await until(stop.signal, async () => undefined, 500).catch(() => undefined);
    }
    return ok ? 0 : 1;
  } catch (err) {
    if (stop.signal.aborted && err === stop.signal.reason) {
      process.stderr.write(`demo-cluster: ${(err as Error).message}\n`);
      return 1;
    }
    throw err;
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanUp({ children, queue, redis, prefix: target.prefix, pgUrl, connections, sims, dir });
  }
}

/** Remove everything the demo made: processes first (they hold locks), then keys, schemas, files. */
async function cleanUp(x: {
  children: Map<string, ChildProcess>;
  queue: ReturnType<typeof openQueue>;
  redis: ReturnType<typeof openRedis>;
  prefix: string;
  pgUrl: string;
  connections: DemoConnection[];
  sims: SimulatorHandle[];
  dir: string;
}): Promise<void> {
  await Promise.all(
    [...x.children.values()].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        }),
    ),
  );
  await x.queue.obliterate({ force: true }).catch(() => undefined);
  await x.queue.close().catch(() => undefined);
  let cursor = '0';
  do {
    const [next, found] = await x.redis.scan(cursor, 'MATCH', `${x.prefix}:*`, 'COUNT', 1000);
    if (found.length) await x.redis.del(...found);
    cursor = next;
  } while (cursor !== '0');
  x.redis.disconnect();
  const schemas = x.connections.filter((c) => c.destination === x.pgUrl).map((c) => c.namespace);
  if (schemas.length) {
    const { query, close } = await connect(x.pgUrl);
    try {
      for (const s of schemas) await query(`drop schema if exists "${s}" cascade`);
    } finally {
      await close();
    }
  }
  for (const s of x.sims) await s.close();
  rmSync(x.dir, { recursive: true, force: true });
}

/**
 * Sync jobs still to run or running, besides the schedulers' next runs (BullMQ gives those a repeatJobKey),
 * plus the syncs that say they run (the `running` hash): 0 when no worker will open a destination again.
 */
async function syncsInFlight(
  queue: ReturnType<typeof openQueue>,
  redis: ReturnType<typeof openRedis>,
  keys: ClusterKeys,
): Promise<number> {
  // Bounded: the demo queues four runs; a page of 100 covers them and their retries many times over.
  const jobs = await queue.getJobs(['active', 'waiting', 'delayed', 'prioritized'], 0, 99);
  return (
    jobs.filter((j) => j !== undefined && j.repeatJobKey === undefined).length +
    (await redis.hlen(keys.running))
  );
}

/** How long the DuckDB check waits for another process to let go of the file. */
const DUCKDB_FREE_MS = 20_000;

/**
 * A read-only SQL connection to a connection's destination. A DuckDB file is opened READ_ONLY (the check
 * changes nothing); while another process holds it (DuckDB's file lock), the open is retried for up to
 * DUCKDB_FREE_MS, then it fails naming the holder DuckDB reported.
 */
async function connectForCheck(
  destination: string,
): Promise<{ query: (sql: string) => Promise<Record<string, unknown>[]>; close: () => Promise<void> }> {
  if (!destination.startsWith('duckdb:')) return connect(destination);
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const path = destination.slice('duckdb:'.length);
  const deadline = Date.now() + DUCKDB_FREE_MS;
  for (let wait = 50; ; wait = Math.min(wait * 2, 1000)) {
    try {
      const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
      const conn = await instance.connect();
      return {
        query: async (sql) =>
          (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[],
        close: async () => {
          conn.closeSync();
          instance.closeSync();
        },
      };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (!/Could not set lock on file/i.test(message)) throw err;
      if (Date.now() >= deadline) {
        const pid = /\bPID (\d+)/i.exec(message)?.[1];
        throw new DestinationError(
          'TRB_DEST_LOCKED',
          `DuckDB file ${path} is still held by another process${pid ? ` (pid ${pid})` : ''} ` +
            `${DUCKDB_FREE_MS / 1000} s after every sync ended; the exact-copy check cannot read it`,
          { details: { path, ...(pid ? { pid: Number(pid) } : {}) }, cause: err },
        );
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** Every stream's table holds each of the simulator's records once: the same ids, none twice, none missing. */
async function exactCopy(c: DemoConnection): Promise<string> {
  const { query, close } = await connectForCheck(c.destination);
  let rows = 0;
  try {
    for (const stream of c.sim.streams()) {
      const want = c.sim.records(stream).map((r) => String(r.id));
      const got = (
        await query(
          `select cast("id" as varchar) as id from "${c.namespace}"."${stream}" where not "_tributary_deleted"`,
        )
      ).map((r) => String(r.id));
      const have = new Set(got);
      if (got.length !== want.length || have.size !== got.length || want.some((k) => !have.has(k)))
        return `NOT EXACT: ${stream} has ${got.length} rows (${have.size} distinct), the simulator ${want.length}`;
      rows += got.length;
    }
  } finally {
    await close();
  }
  return `exact copy (${c.sim.streams().length} streams, ${rows} records)`;
}

/** Rows in the connection's stream tables now (committed only: a killed sync's open transaction is gone). */
async function committedRows(c: DemoConnection): Promise<number> {
  const { query, close } = await connect(c.destination);
  try {
    const tables = await query(
      `select table_name from information_schema.tables where table_schema = '${c.namespace}' and table_name not like '\\_tributary%'`,
    );
    let n = 0;
    for (const t of tables)
      n += Number(
        (await query(`select count(*) as n from "${c.namespace}"."${String(t.table_name)}"`))[0]?.n ?? 0,
      );
    return n;
  } finally {
    await close();
  }
}

async function checkPostgres(url: string): Promise<void> {
  const pg = await import('pg');
  const client = new pg.default.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch (err) {
    throw new DestinationError(
      'TRB_DEST_UNREACHABLE',
      `PostgreSQL at ${displayUrl(url, globalRedactor)} cannot be reached (${(err as Error).message}); the cluster demo needs it (--postgres URL)`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Poll `fn` every `everyMs` until it returns a value or `signal` aborts (then throw its reason). */
async function until<T>(signal: AbortSignal, fn: () => Promise<T | undefined>, everyMs = 50): Promise<T> {
  for (;;) {
    if (signal.aborted) throw signal.reason;
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A child's log line for the demo's narrative: a JSON log record (pino) as its message and connection. */
function logLine(line: string): string {
  try {
    const r = JSON.parse(line) as { msg?: string; connection?: string; jobId?: string; job?: string };
    const job = r.jobId ?? r.job;
    const about = r.connection ?? (job === undefined ? undefined : `job ${job}`);
    return `${about === undefined ? '' : `${about}: `}${r.msg ?? line}`;
  } catch {
    return line.trim();
  }
}

function maxInWindow(sorted: number[], ms: number): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= ms) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

function perBucket(sorted: number[], ms: number): number[] {
  if (!sorted.length) return [];
  const out: number[] = [];
  for (const t of sorted) {
    const i = Math.floor((t - sorted[0]!) / ms);
    while (out.length <= i) out.push(0);
    out[i]!++;
  }
  return out;
}
