/**
 * The cluster commands as a user runs them (the built CLI): bad input gets clear errors with the README's
 * exit codes (an unknown connection, a bad cron, Redis unreachable, with its password never printed), and
 * `serve --once`, `run --wait`, `status --file`, `resume` and `cancel` against a worker process; `pause` and
 * the `run` flags of the dashboard's actions (`--full-refresh`, `--reset-state`, `--streams`).
 * Skipped without Redis (fails instead when CI=true), except the unreachable-Redis cases.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { runCli, startCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/duckdb.js';
import { dropPrefix, freePort, REDIS_TEST_URL, redisReachable, testPrefix } from '../helpers/redis.js';
import { writeConnections } from '../helpers/cluster.js';

const available = await redisReachable();
if (!available && process.env.CI !== 'true')
  console.warn('cluster CLI tests against Redis skipped: no Redis at TRIBUTARY_TEST_REDIS_URL');
const describeRedis = available || process.env.CI === 'true' ? describe : describe.skip;

let sim: SimulatorHandle;
let dir: string;
beforeAll(async () => {
  sim = await startHumaansSimulator({ seed: 4, records: 60 });
  dir = tempDir('tributary-cluster-cli-');
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

const connection = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  connector: 'humaans',
  config: { api_token: 'sim-token', base_url: sim.baseUrl, initial_sync_days: 0 },
  destination: `duckdb:${join(dir, `${name}-db.duckdb`)}`,
  ...extra,
});

describe('cluster commands: Redis unreachable', () => {
  it('run, worker, serve and status --file fail with TRB_REDIS_UNREACHABLE (exit 1), naming the address without its password', async () => {
    const file = writeConnections(tempDir('tributary-cli-unreach-'), [connection('a')]);
    const url = `redis://:s3cret-pw@127.0.0.1:${await freePort()}`;
    for (const args of [['run', 'a'], ['worker'], ['serve', '--once'], ['status'], ['cancel', 'a']]) {
      const r = await runCli([...args, '--file', file, '--redis', url]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(
        /error \[TRB_REDIS_UNREACHABLE\]: Redis at redis:\/\/127\.0\.0\.1:\d+ cannot be reached \(connect ECONNREFUSED/,
      );
      expect(r.stderr + r.stdout).not.toContain('s3cret-pw');
    }
  });
});

describeRedis('cluster commands', () => {
  const env = () => ({ TRIBUTARY_REDIS_URL: REDIS_TEST_URL, TRIBUTARY_REDIS_PREFIX: testPrefix('cli') });

  it('an unknown connection is TRB_CONNECTIONS_INVALID (exit 2), naming the known ones', async () => {
    const file = writeConnections(tempDir('tributary-cli-unknown-'), [
      connection('alpha'),
      connection('beta'),
    ]);
    const e = env();
    try {
      for (const cmd of ['run', 'cancel', 'pause', 'resume']) {
        const r = await runCli([cmd, 'gamma', '--file', file], e);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toContain(
          `error [TRB_CONNECTIONS_INVALID]: ${file}: no connection named "gamma" (connections: alpha, beta)`,
        );
      }
    } finally {
      await dropPrefix(e.TRIBUTARY_REDIS_PREFIX);
    }
  });

  it('a bad cron is refused by serve (exit 2), naming the connection and the field; nothing is scheduled', async () => {
    const file = writeConnections(tempDir('tributary-cli-cron-'), [
      connection('ok', { schedule: { every: '1h' } }),
      connection('badcron', { schedule: { cron: '61 * * * *', tz: 'UTC' } }),
    ]);
    const e = env();
    try {
      const r = await runCli(['serve', '--once', '--file', file], e);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/TRB_CONNECTIONS_INVALID.*connection "badcron".*schedule\.cron/);
      const status = await runCli(
        ['status', '--file', writeConnections(tempDir('tributary-cli-cron2-'), [connection('ok')]), '--json'],
        e,
      );
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)[0]).toMatchObject({ connection: 'ok', nextRun: null });
    } finally {
      await dropPrefix(e.TRIBUTARY_REDIS_PREFIX);
    }
  });

  it('serve --once schedules; run --wait runs on a worker process and exits 0; status --file shows the run', async () => {
    const file = writeConnections(tempDir('tributary-cli-e2e-'), [
      connection('hu', { schedule: { cron: '0 3 * * *', tz: 'Europe/Paris' } }),
    ]);
    const e = env();
    const worker = startCli(['worker', '--file', file, '--name', 'cli-worker'], e);
    try {
      const serve = await runCli(['serve', '--once', '--file', file], e);
      expect(serve.code, serve.stderr).toBe(0);
      expect(serve.stderr).toContain('1 scheduled [hu]');
      const run = await runCli(['run', 'hu', '--file', file, '--wait', '--timeout', '60'], e);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/queued hu as job \S+\njob \S+: \{"outcome":"succeeded"/);
      const status = await runCli(['status', '--file', file, '--json'], e);
      expect(status.code, status.stderr).toBe(0);
      const [s] = JSON.parse(status.stdout);
      expect(s).toMatchObject({
        connection: 'hu',
        schedule: 'cron 0 3 * * * (Europe/Paris)',
        running: null,
        paused: null,
        lastRun: { status: 'succeeded', trigger: 'manual', attempt: 1, worker: 'cli-worker' },
      });
      // The next 03:00 in Paris is 01:00 or 02:00 UTC.
      expect(s.nextRun).toMatch(/T0[12]:00:00\.000Z$/);
      const table = await runCli(['status', '--file', file], e);
      expect(table.stdout).toMatch(/hu\s+humaans\s+cron 0 3 \* \* \* \(Europe\/Paris\)/);
      expect((await runCli(['resume', 'hu', '--file', file], e)).stdout).toBe('hu was not paused\n');
      expect((await runCli(['cancel', 'hu', '--file', file], e)).stdout).toBe(
        'hu: nothing pending or running\n',
      );
    } finally {
      worker.child.kill('SIGTERM');
      await worker.done;
      await dropPrefix(e.TRIBUTARY_REDIS_PREFIX);
    }
  });

  it('pause keeps runs from being queued until resume; run --reset-state needs --streams, and queues while paused', async () => {
    const file = writeConnections(tempDir('tributary-cli-pause-'), [connection('hu')]);
    const e = env();
    try {
      const paused = await runCli(['pause', 'hu', '--file', file, '--reason', 'vendor maintenance'], e);
      expect(paused.code, paused.stderr).toBe(0);
      expect(paused.stdout).toBe('hu paused\n');
      expect((await runCli(['pause', 'hu', '--file', file], e)).stdout).toBe('hu was already paused\n');
      const status = await runCli(['status', '--file', file, '--json'], e);
      expect(JSON.parse(status.stdout)[0].paused).toMatchObject({ reason: 'vendor maintenance' });
      const refused = await runCli(['run', 'hu', '--file', file], e);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('TRB_CONNECTION_PAUSED');
      const noStreams = await runCli(['run', 'hu', '--file', file, '--reset-state'], e);
      expect(noStreams.code).toBe(2);
      expect(noStreams.stderr).toMatch(/TRB_USAGE.*--reset-state needs --streams/);
      const streamsAlone = await runCli(['run', 'hu', '--file', file, '--streams', 'people'], e);
      expect(streamsAlone.code).toBe(2);
      expect(streamsAlone.stderr).toMatch(/TRB_USAGE.*--streams goes with --full-refresh or --reset-state/);
      // Resetting state is not a sync: allowed on a paused connection (often the fix), and it lifts no pause.
      const reset = await runCli(['run', 'hu', '--file', file, '--reset-state', '--streams', 'people'], e);
      expect(reset.code, reset.stderr).toBe(0);
      expect(reset.stdout).toMatch(/^queued hu as job \S+\n$/);
      expect((await runCli(['resume', 'hu', '--file', file], e)).stdout).toBe('hu resumed\n');
    } finally {
      await dropPrefix(e.TRIBUTARY_REDIS_PREFIX);
    }
  });
});
