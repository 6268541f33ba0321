/**
 * The dashboard over a real cluster, for the route and browser tests: Redis under a test prefix, the Humaans
 * simulator, a hostile API whose error message holds markup, an in-process worker (the code `tributary
 * worker` runs) and the dashboard app (the code `tributary serve` serves).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { openRedis } from '../../src/cluster/redis-connection.js';
import type { RunningWorker } from '../../src/cluster/worker.js';
import { loadConnectionsFile } from '../../src/connections/connections-file.js';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import type { DashboardContext } from '../../src/dashboard/context.js';
import { buildDashboard } from '../../src/dashboard/server.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { startTestWorker, type TestCluster, testCluster, writeConnections } from './cluster.js';
import { tempDir } from './duckdb.js';
import { type FakeApi, json, startFakeApi } from './fake-api.js';
import { testPrefix } from './redis.js';
import { HUMAANS_TOKEN } from './simulator.js';

/** What the hostile API answers: markup that would run if the dashboard did not escape it. */
export const HOSTILE_MESSAGE = `<script>window.__pwned=1;document.title='pwned'</script><img src=x onerror="window.__pwned=2">`;
export const HOSTILE_TOKEN = 'hostile-api-secret-4711';

export interface DashboardFixture {
  cluster: TestCluster;
  sim: SimulatorHandle;
  hostile: FakeApi;
  dir: string;
  /** The connections file's path. */
  file: string;
  worker: RunningWorker;
  ctx: DashboardContext;
  app: FastifyInstance;
  /** The humaans connection's DuckDB file. */
  db: string;
  close(): Promise<void>;
}

export async function startDashboardFixture(
  name: string,
  opts: { token?: string; records?: number; latencyMs?: number } = {},
): Promise<DashboardFixture> {
  const prefix = testPrefix(name);
  const cluster = testCluster(prefix);
  const sim = await startHumaansSimulator({
    seed: 11,
    records: opts.records ?? 120,
    ...(opts.latencyMs ? { latencyMs: opts.latencyMs } : {}),
  });
  const hostile = await startFakeApi((_req, res) => json(res, 400, { message: HOSTILE_MESSAGE }));
  const dir = tempDir(`tributary-${name}-`);
  const db = join(dir, 'people.duckdb');
  const humaans = (base: string, token: string) => ({
    api_token: token,
    base_url: base,
    initial_sync_days: 0,
    max_records_per_page: 10,
    retry_attempts: 0,
  });
  const file = writeConnections(dir, [
    {
      name: 'people-hr',
      connector: 'humaans',
      config: humaans(sim.baseUrl, HUMAANS_TOKEN),
      destination: `duckdb:${db}`,
      retry: { attempts: 1, backoff: '1s', pauseAfter: 100 },
    },
    {
      name: 'hostile',
      connector: 'humaans',
      config: humaans(hostile.url, HOSTILE_TOKEN),
      destination: `duckdb:${join(dir, 'hostile.duckdb')}`,
      retry: { attempts: 1, backoff: '1s', pauseAfter: 100 },
    },
  ]);
  const worker = await startTestWorker(cluster, file, { batchRows: 20 });
  const connections = loadConnectionsFile(file, process.env, { resolveSecrets: false });
  const ctx: DashboardContext = {
    redis: cluster.redis,
    redisFactory: () => openRedis({ url: cluster.url, prefix }),
    queue: cluster.queue,
    keys: cluster.keys,
    file: () => connections,
    now: () => new Date(),
  };
  const app = await buildDashboard({ ...ctx, ...(opts.token ? { token: opts.token } : {}) });
  return {
    cluster,
    sim,
    hostile,
    dir,
    file,
    worker,
    ctx,
    app,
    db,
    close: async () => {
      await app.close();
      await worker.close();
      await cluster.close();
      await sim.close();
      await hostile.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The CSRF token of a page's form, and the cookie that goes with it. */
export function csrfOf(body: string): string {
  const m = body.match(/name="_csrf" value="([^"]+)"/);
  if (!m) throw new Error('no _csrf field in the page');
  return m[1]!;
}

/** `name=value` pairs of a response's Set-Cookie headers, as one Cookie header. */
export function cookiesOf(
  setCookie: string | string[] | undefined,
  jar: Record<string, string> = {},
): Record<string, string> {
  for (const c of [setCookie ?? []].flat()) {
    const [pair] = c.split(';');
    const i = pair!.indexOf('=');
    jar[pair!.slice(0, i)] = pair!.slice(i + 1);
  }
  return jar;
}

export function cookieHeader(jar: Record<string, string>): string {
  return Object.entries(jar)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}
