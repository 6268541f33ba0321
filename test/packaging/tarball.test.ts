/**
 * The done-when test of issue 16: the packed tarball, installed into a fresh project, is enough to bring your
 * own API. With the INSTALLED CLI (node_modules/.bin/tributary) and library only: `init` a connector folder,
 * sync a local JSON API (`/api/orders?page=N`, Bearer token) into DuckDB twice (the second sync reads only
 * what changed), look at it with `tributary sql`, run the scaffold's own `node --test`, and load it through
 * the library. `tributary read` runs too when the installed CLI has it.
 *
 * Slow but bounded (about a minute; every child has a timeout). The tarball comes from `npm pack
 * --ignore-scripts` of the current dist/ (`npm test` builds first; `prepack` is checked to build for a real
 * pack). The install is `npm install <tarball> --offline`: the dependencies come from the npm cache. Where
 * the cache lacks them (this test must not download), it installs as npm would by hand: the tarball unpacked
 * into node_modules/tributary, its bin linked into node_modules/.bin, and each of its declared
 * `dependencies` (only those: an undeclared one fails to resolve) linked from this repository's
 * node_modules. The report says which way it went.
 */
import { spawn } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, type CliResult, collectOutput, ROOT } from '../helpers/cli.js';
import { OrdersApi } from '../helpers/orders-api.js';

const work = mkdtempSync(join(tmpdir(), 'trb-tarball-'));
const project = join(work, 'my-project');
const TOKEN = 'tok-3c1f9a';
const api = new OrdersApi(TOKEN, 25);
let tarball = '';
let installedBy: 'npm --offline' | 'unpacked and linked' = 'npm --offline';

function run(cmd: string, args: string[], cwd: string, timeoutMs = 120_000): Promise<CliResult> {
  const child = spawn(cmd, args, {
    cwd,
    env: { ...process.env, FORCE_COLOR: '0', TRIBUTARY_LOG_LEVEL: 'warn', ORDERS_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
  });
  return collectOutput(child);
}

/** The installed CLI, as a user runs it. */
const tributary = (...args: string[]) =>
  run(join(project, 'node_modules', '.bin', 'tributary'), args, project);

function ok(r: CliResult, what: string): CliResult {
  expect(r.code, `${what}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
  return r;
}

/** Install the tarball into `project` as npm would, without the network (see the header). */
async function install(): Promise<void> {
  const r = await run('npm', ['install', tarball, '--offline', '--no-audit', '--no-fund'], project, 180_000);
  if (r.code === 0) return;
  expect(r.stderr, 'npm fails offline only for a package missing from its cache').toMatch(
    /ENOTCACHED|ETARGET|offline/i,
  );
  installedBy = 'unpacked and linked';
  const into = join(project, 'node_modules', 'tributary');
  mkdirSync(into, { recursive: true });
  ok(await run('tar', ['xzf', tarball, '-C', into, '--strip-components=1'], project), 'tar');
  const pkg = JSON.parse(readFileSync(join(into, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    bin: Record<string, string>;
  };
  for (const dep of Object.keys(pkg.dependencies)) {
    const link = join(project, 'node_modules', dep);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(realpathSync(join(ROOT, 'node_modules', dep)), link);
  }
  mkdirSync(join(project, 'node_modules', '.bin'), { recursive: true });
  for (const [name, target] of Object.entries(pkg.bin)) {
    chmodSync(join(into, target), 0o755);
    symlinkSync(join('..', 'tributary', target), join(project, 'node_modules', '.bin', name));
  }
}

beforeAll(async () => {
  assertBuilt();
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'my-project', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );
  const packed = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], ROOT);
  ok(packed, 'npm pack');
  const file = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (!file) throw new Error(`npm pack wrote no tarball into ${work}`);
  tarball = join(work, file);
  await install();
  await api.start();
}, 240_000);

afterAll(async () => {
  await api.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball, installed into a fresh project', () => {
  it('is built by prepack, licensed as package.json says, and ships dist, the connector folders and the docs', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.prepack).toBe('npm run build');
    expect(pkg.license).toBe('Apache-2.0');
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(
      /Apache License\s+Version 2\.0, January 2004/,
    );
    const listing = (await run('tar', ['tzf', tarball], work)).stdout.split('\n');
    for (const f of [
      'package/dist/cli/main.js',
      'package/dist/index.d.ts',
      'package/src/connectors/humaans/manifest.yaml',
      'package/src/connectors/hellobaton/schemas/projects.json',
      'package/docs/architecture.md',
      'package/LICENSE',
      'package/README.md',
    ]) {
      expect(listing, f).toContain(f);
    }
    expect(listing.filter((f) => f.startsWith('package/test/'))).toEqual([]);
    console.info(`tarball test: installed by ${installedBy}`);
  });

  it('init, then two incremental syncs of a local API into DuckDB, with the installed CLI only', async () => {
    const help = ok(await tributary('--help'), 'tributary --help').stdout;
    ok(
      await tributary(
        'init',
        'orders_api',
        '--base-url',
        api.baseUrl,
        '--auth',
        'bearer',
        '--paging',
        'page',
        '--stream',
        'orders',
      ),
      'tributary init',
    );
    expect(existsSync(join(project, 'orders_api', 'manifest.yaml'))).toBe(true);
    writeFileSync(join(project, 'orders.yaml'), `api_token: \${ORDERS_TOKEN}\nbase_url: ${api.baseUrl}\n`);
    ok(await tributary('check', './orders_api', '--config', 'orders.yaml'), 'tributary check');

    const sync = async () => {
      const r = ok(
        await tributary(
          'sync',
          './orders_api',
          '--config',
          'orders.yaml',
          '--destination',
          'duckdb:shop.duckdb',
          '--json',
        ),
        'tributary sync',
      );
      expect(r.stdout + r.stderr, 'the token never printed').not.toContain(TOKEN);
      return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
        status: string;
        connector: string;
        streams: { stream: string; records: number }[];
      };
    };
    const first = await sync();
    expect(first.status).toBe('succeeded');
    expect(first.connector).toBe('orders_api');
    expect(first.streams.map((s) => [s.stream, s.records])).toEqual([['orders', 25]]);
    const lastSeen = api.orders.at(-1)!.updated_at;

    api.add(3);
    const before = api.requests.length;
    const second = await sync();
    expect(second.status).toBe('succeeded');
    // Only what changed since the first sync: the 3 new orders and the one at the cursor (the filter is >=).
    const served = api.requests.slice(before).filter((r) => r.url.pathname === '/api/orders');
    expect(served.map((r) => r.url.searchParams.get('updated_since'))).toEqual(served.map(() => lastSeen));
    expect(served.reduce((n, r) => n + r.records, 0)).toBe(4);
    expect(second.streams.map((s) => [s.stream, s.records])).toEqual([['orders', 4]]);

    const counted = ok(
      await tributary(
        'sql',
        'duckdb:shop.duckdb',
        'select count(*) as n, count(distinct id) as ids from orders_api.orders',
      ),
      'tributary sql',
    ).stdout;
    expect(counted.split('\n')[2]?.trim().split(/\s+/)).toEqual(['28', '28']);
    const runs = ok(
      await tributary('runs', './orders_api', '--destination', 'duckdb:shop.duckdb'),
      'runs',
    ).stdout;
    expect(runs.match(/succeeded/g)?.length).toBe(2);

    if (/^\s+read\b/m.test(help)) {
      const read = ok(
        await tributary(
          'read',
          './orders_api',
          '--config',
          'orders.yaml',
          '--stream',
          'orders',
          '--pages',
          '1',
        ),
        'tributary read',
      );
      expect(read.stdout).toContain('/api/orders');
      expect(read.stdout + read.stderr).not.toContain(TOKEN);
    } else {
      console.info('tarball test: this build has no `tributary read`; that step was skipped');
    }
  }, 240_000);

  it("the scaffold's own node --test passes, and the library loads the folder with defaults applied", async () => {
    ok(
      await run(process.execPath, ['--test', join('orders_api', 'test', 'connector.test.mjs')], project),
      'node --test',
    );
    writeFileSync(
      join(project, 'library.mjs'),
      `import { DeclarativeSource, loadConnector, resolveConnectorConfig } from 'tributary';
const connector = await loadConnector('./orders_api');
const source = new DeclarativeSource(
  connector,
  resolveConnectorConfig(connector, { api_token: process.env.ORDERS_TOKEN, base_url: process.argv[2] }),
);
let records = 0;
for await (const page of source.read('orders', { syncMode: 'full_refresh', state: undefined })) records += page.records.length;
await source.close();
const again = await loadConnector(process.cwd() + '/orders_api');
console.log(JSON.stringify({ records, headers: connector.manifest.requester.headers, cached: again === connector }));
`,
    );
    const r = ok(await run(process.execPath, ['library.mjs', api.baseUrl], project), 'library.mjs');
    expect(JSON.parse(r.stdout)).toEqual({ records: api.orders.length, headers: {}, cached: true });
  }, 120_000);

  it('code components: components.js imports registerComponent from the installed package; components.ts is refused on plain Node 20 with the fix named', async () => {
    const copy = (name: string) => {
      cpSync(join(project, 'orders_api'), join(project, name), { recursive: true });
      const manifest = readFileSync(join(project, name, 'manifest.yaml'), 'utf8')
        .replace('name: orders_api', `name: ${name}`)
        .replace('\ncheck:', `\ntransforms:\n  - { type: custom, component: ${name}.tag }\n\ncheck:`);
      writeFileSync(join(project, name, 'manifest.yaml'), manifest);
    };
    copy('tagged');
    writeFileSync(
      join(project, 'tagged', 'components.js'),
      `import { registerComponent } from 'tributary';
registerComponent('transform', 'tagged.tag', () => (record) => ({ ...record, source: 'my-api' }));
`,
    );
    ok(
      await tributary(
        'sync',
        './tagged',
        '--config',
        'orders.yaml',
        '--destination',
        'duckdb:components.duckdb',
      ),
      'sync ./tagged',
    );
    const tagged = ok(
      await tributary(
        'sql',
        'duckdb:components.duckdb',
        'select source, count(*) as n from tagged.orders group by source',
      ),
      'sql',
    ).stdout;
    expect(tagged.split('\n')[2]?.trim().split(/\s+/)).toEqual(['my-api', String(api.orders.length)]);

    copy('typed');
    writeFileSync(
      join(project, 'typed', 'components.ts'),
      `import { registerComponent } from 'tributary';
registerComponent('transform', 'typed.tag', () => (record: Record<string, unknown>) => record);
`,
    );
    const typed = await tributary('spec', './typed');
    if (Number(process.versions.node.split('.')[0]) < 22) {
      expect(typed.code).toBe(2);
      expect(typed.stderr).toContain('[TRB_MANIFEST_INVALID]');
      expect(typed.stderr).toContain('write them as components.js');
    } else {
      // A Node that strips TypeScript types itself loads it.
      expect(typed.code, typed.stderr).toBe(0);
    }
  }, 120_000);
});
