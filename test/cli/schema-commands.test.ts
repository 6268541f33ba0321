/**
 * The built CLI's schema commands: `manifest-schema --markdown` prints the manifest reference that
 * docs/manifest.md holds, and `discover --write-schemas` keeps the schema files a connector folder already has
 * (the bundled connectors have one per stream) without reading the API. Writing inferred schemas is covered
 * end to end in test/integration/schema-inference.test.ts.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConnector } from '../../src/connectors/registry.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/duckdb.js';

let dir: string;
let config: string;

beforeAll(() => {
  dir = tempDir('tributary-schema-cli-');
  config = join(dir, 'humaans.yaml');
  // Port 9 (discard) on loopback: nothing answers, so any request would fail the command.
  writeFileSync(config, 'api_token: not-used\nbase_url: http://127.0.0.1:9/\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('schema commands of the CLI', () => {
  it('manifest-schema --markdown prints docs/manifest.md', async () => {
    const r = await runCli(['manifest-schema', '--markdown']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(ROOT, 'docs', 'manifest.md'), 'utf8'));
  });

  it('discover --write-schemas keeps existing schema files and reads nothing', async () => {
    const r = await runCli(['discover', 'humaans', '--config', config, '--write-schemas', '--pages', '1']);
    expect(r.code, r.stderr).toBe(0);
    const streams = (await loadConnector('humaans')).manifest.streams;
    const lines = r.stdout.trim().split('\n');
    expect(lines).toEqual(
      streams.map((s) => `${s.name}: kept ${s.schema} (it exists; --force overwrites it)`),
    );
  });

  it('discover --pages must be a positive integer (usage error, exit 2)', async () => {
    const r = await runCli(['discover', 'humaans', '--config', config, '--write-schemas', '--pages', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--pages must be an integer 1–1000/);
  });
});
