/**
 * A connector folder named by path on the command line and in a connections file, with the built CLI: the
 * argument and `--connector` are the same thing (both at once is a usage error), a connections file's
 * `connector: ./folder` is relative to the file, and the destination schema is the manifest's name.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scaffoldFiles } from '../../src/connectors/scaffold.js';
import { runCli } from '../helpers/cli.js';
import { OrdersApi } from '../helpers/orders-api.js';

const root = mkdtempSync(join(tmpdir(), 'trb-connector-path-'));
const api = new OrdersApi('tok-path-1', 7);

beforeAll(async () => {
  const base = await api.start();
  const files = scaffoldFiles({
    name: 'shop',
    baseUrl: base,
    auth: 'bearer',
    paging: 'page',
    stream: 'orders',
  });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, 'project', 'shop', path)), { recursive: true });
    writeFileSync(join(root, 'project', 'shop', path), text);
  }
});
afterAll(async () => {
  await api.close();
  rmSync(root, { recursive: true, force: true });
});

describe('a connector folder by path', () => {
  it('spec takes the folder as an argument or as --connector, not both', async () => {
    const folder = join(root, 'project', 'shop');
    const byArg = await runCli(['spec', folder]);
    expect(byArg.code, byArg.stderr).toBe(0);
    const byFlag = await runCli(['spec', '--connector', folder]);
    expect(byFlag.stdout).toBe(byArg.stdout);
    expect(JSON.parse(byArg.stdout).properties).toHaveProperty('api_token');
    const both = await runCli(['spec', 'humaans', '--connector', folder]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/TRB_USAGE.*give the connector once/);
    const none = await runCli(['spec', join(root, 'nothing')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(
      `[TRB_UNKNOWN_CONNECTOR]: connector folder ${join(root, 'nothing')} does not exist`,
    );
  });

  it("a connections file's connector: ./folder is relative to the file, and syncs", async () => {
    const file = join(root, 'project', 'tributary.yaml');
    writeFileSync(
      file,
      `connections:
  - name: shop_orders
    connector: ./shop
    config: { api_token: tok-path-1, base_url: "${api.baseUrl}" }
    destination: duckdb:${join(root, 'project', 'shop.duckdb')}
`,
    );
    // Run from elsewhere: the folder is found beside the file, not in the working directory.
    const r = await runCli(
      ['sync', '--connection', 'shop_orders', '--file', file, '--json', '--no-progress'],
      {
        TRIBUTARY_LOG_LEVEL: 'warn',
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(summary.connector).toBe('shop');
    expect(summary.streams.map((s: { records: number }) => s.records)).toEqual([7]);
    const state = await runCli(['state', 'show', '--connection', 'shop_orders', '--file', file]);
    expect(state.code, state.stderr).toBe(0);
    expect(state.stdout).toContain('(schema shop_orders)');
    expect(state.stdout).toContain(`cursor ${api.orders.at(-1)!.updated_at}`);
  });
});
