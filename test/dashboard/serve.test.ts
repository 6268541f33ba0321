/**
 * `tributary serve` serves the dashboard, as a user runs it (the built CLI): on loopback by default it
 * answers; on another host it refuses to start without a token (TRB_DASHBOARD_AUTH_REQUIRED, exit 2, nothing
 * scheduled) and with one it needs it. Skipped without Redis (fails instead when CI=true).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/duckdb.js';
import {
  dropPrefix,
  freePort,
  REDIS_TEST_URL,
  redisReachable,
  testPrefix,
  waitFor,
} from '../helpers/redis.js';

const available = await redisReachable();
if (!available && process.env.CI !== 'true')
  console.warn('dashboard serve tests skipped: no Redis at TRIBUTARY_TEST_REDIS_URL');
const describeRedis = available || process.env.CI === 'true' ? describe : describe.skip;

describeRedis('serve: the dashboard', () => {
  let dir: string;
  let file: string;
  const prefix = testPrefix('dash-serve');
  beforeAll(() => {
    dir = tempDir('tributary-dash-serve-');
    file = join(dir, 'tributary.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a connections-file ${ENV} reference
        dashboard: { token: '${DASH_TOKEN_FOR_TEST}' },
        connections: [
          {
            name: 'hr',
            connector: 'humaans',
            config: {
              api_token: 'serve-test-secret',
              base_url: 'http://127.0.0.1:9/api',
              initial_sync_days: 0,
            },
            destination: `duckdb:${join(dir, 'hr.duckdb')}`,
            schedule: { every: '1h' },
          },
        ],
      }),
    );
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await dropPrefix(prefix);
  });
  const cluster = () => ['--file', file, '--redis', REDIS_TEST_URL, '--prefix', prefix];

  it('refuses a non-loopback host without a token: exit 2, TRB_DASHBOARD_AUTH_REQUIRED, nothing scheduled', async () => {
    const noTokenFile = join(dir, 'no-token.yaml');
    writeFileSync(noTokenFile, JSON.stringify({ connections: [] }));
    const r = await runCli([
      'serve',
      '--file',
      noTokenFile,
      '--redis',
      REDIS_TEST_URL,
      '--prefix',
      prefix,
      '--dashboard-host',
      '0.0.0.0',
    ]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('TRB_DASHBOARD_AUTH_REQUIRED');
    expect(r.stderr).not.toContain('scheduled');
  });

  it('a dashboard port in use is a usage error (exit 2) naming the port and the option', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const { port } = busy.address() as AddressInfo;
    try {
      const r = await runCli(['serve', ...cluster(), '--dashboard-port', String(port)], {
        DASH_TOKEN_FOR_TEST: 'x-token-unused',
      });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`127.0.0.1:${port} (the port is in use)`);
      expect(r.stderr).toContain('--dashboard-port');
    } finally {
      busy.close();
    }
  });

  it('serves on loopback; with a token configured, pages need it (bearer), and the token never shows', async () => {
    const port = await freePort();
    const token = 'serve-dash-token-31337';
    const { child, done } = startCli(['serve', ...cluster(), '--dashboard-port', String(port)], {
      DASH_TOKEN_FOR_TEST: token,
    });
    let stderr = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    try {
      await waitFor(
        'the dashboard address',
        () => (stderr.includes('dashboard at') ? true : undefined),
        30_000,
      );
      expect(stderr).toContain(`dashboard at http://127.0.0.1:${port}/`);
      expect(stderr).not.toContain(token);
      const url = `http://127.0.0.1:${port}/`;
      const anon = await request(url);
      await anon.body.text();
      expect(anon.statusCode).toBe(401);
      const ok = await request(url, { headers: { authorization: `Bearer ${token}` } });
      const body = await ok.body.text();
      expect(ok.statusCode).toBe(200);
      expect(body).toContain('href="/connections/hr"');
      expect(body).not.toContain(token);
      expect(body).not.toContain('serve-test-secret');
    } finally {
      child.kill('SIGTERM');
      const r = await done;
      expect(r.stdout + r.stderr).not.toContain(token);
    }
  });
});
