/**
 * `tributary init`: the scaffold parses as a manifest, its README passes the bundled READMEs' checks, its own
 * `node --test` file passes against its tiny server (through the built library), it never overwrites, it
 * prompts on a terminal, and without one a missing answer is a usage error.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { initCommand } from '../../src/cli/init-command.js';
import { parseManifest } from '../../src/connectors/registry.js';
import { AUTH_KINDS, availableKinds, PAGING_KINDS, scaffoldFiles } from '../../src/connectors/scaffold.js';
import { ConfigError } from '../../src/errors.js';
import { assertBuilt, collectOutput, ROOT, runCli } from '../helpers/cli.js';
import { connectorReadmeChecks } from '../helpers/connector-readme.js';

const root = mkdtempSync(join(tmpdir(), 'trb-init-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const quiet = () => ({
  input: Object.assign(new PassThrough(), { isTTY: false }),
  output: new PassThrough(),
});
const kinds = availableKinds();

describe('the scaffold', () => {
  it('offers at least the kinds the manifest schema had when init was written', () => {
    expect(kinds.auth).toEqual(expect.arrayContaining(['bearer', 'api_key', 'none']));
    expect(kinds.paging).toEqual(expect.arrayContaining(['page', 'offset', 'none']));
    // Every kind offered is one init can write.
    expect(AUTH_KINDS).toEqual(expect.arrayContaining(kinds.auth));
    expect(PAGING_KINDS).toEqual(expect.arrayContaining(kinds.paging));
  });

  describe.each(kinds.auth.flatMap((auth) => kinds.paging.map((paging) => ({ auth, paging }))))(
    'auth $auth, paging $paging',
    ({ auth, paging }) => {
      const files = scaffoldFiles({
        name: 'orders_api',
        baseUrl: 'https://api.example.com/v1',
        auth,
        paging,
        stream: 'orders',
      });
      const manifest = parseManifest(files['manifest.yaml']!, 'manifest.yaml');
      it('is one incremental stream with a placeholder schema', () => {
        expect(manifest.streams.map((s) => s.name)).toEqual(['orders']);
        expect(manifest.incremental?.cursor_field).toBe('updated_at');
        expect(JSON.parse(files['schemas/orders.json']!)).toEqual({ type: 'object' });
      });
      connectorReadmeChecks(files['README.md']!, `${auth}/${paging}/README.md`, manifest);
    },
  );
});

describe('tributary init', () => {
  it('writes the folder from flags, asking nothing, and its own test passes with node --test', async () => {
    assertBuilt();
    // The scaffold's test imports 'tributary': resolve it to this repository's build.
    mkdirSync(join(root, 'node_modules'), { recursive: true });
    symlinkSync(ROOT, join(root, 'node_modules', 'tributary'));
    // Every paging kind but none (its test is the trivial one) once, with each auth kind in turn.
    const pagings = kinds.paging.filter((p) => p !== 'none');
    for (const [i, paging] of pagings.entries()) {
      const dir = join(root, `api_${paging}`);
      const auth = kinds.auth[i % kinds.auth.length]!;
      await initCommand(
        `api_${paging}`,
        { dir, baseUrl: 'https://x.example', auth, paging, stream: 'orders' },
        quiet(),
      );
      expect(existsSync(join(dir, 'manifest.yaml'))).toBe(true);
      const child = spawn(process.execPath, ['--test', join(dir, 'test', 'connector.test.mjs')], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const r = await collectOutput(child);
      expect(r.stdout, `${paging}: ${r.stdout}\n${r.stderr}`).toMatch(/^# pass 1$/m);
      expect(r.code).toBe(0);
    }
  }, 120_000);

  it('refuses to write into a folder that exists', async () => {
    const dir = join(root, 'taken');
    mkdirSync(dir);
    const err = await initCommand('taken', { dir, yes: true }, quiet()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('TRB_USAGE');
    expect((err as ConfigError).message).toContain(`${dir} already exists`);
  });

  it('without a terminal, a missing answer is a usage error naming the flag; --yes takes the defaults', async () => {
    const dir = join(root, 'no_tty');
    const err = await initCommand('no_tty', { dir, auth: 'none' }, quiet()).catch((e: unknown) => e);
    expect((err as ConfigError).code).toBe('TRB_USAGE');
    expect((err as ConfigError).message).toContain('--base-url');
    expect(existsSync(dir)).toBe(false);
    await initCommand('no_tty', { dir, yes: true }, quiet());
    const manifest = parseManifest(readFileSync(join(dir, 'manifest.yaml'), 'utf8'), 'm');
    expect(manifest.requester.authenticator.type).toBe('bearer');
    expect(manifest.paginator.type).toBe('page_number');
  });

  it('asks on a terminal for what the flags leave out, again after a wrong answer', async () => {
    const input = Object.assign(new PassThrough(), { isTTY: true });
    const output = new PassThrough();
    let asked = '';
    output.on('data', (d) => {
      asked += d;
    });
    const dir = join(root, 'asked');
    // The answers go in as each question appears (readline reads one line per question).
    const answers = ['Not Snake', 'asked', 'http://127.0.0.1:1/api', 'oauth9', 'none', '', 'tickets'];
    let next = 0;
    output.on('data', (d: Buffer) => {
      if (/: $/.test(String(d)) && next < answers.length) input.write(`${answers[next++]}\n`);
    });
    await initCommand(undefined, { dir }, { input, output });
    expect(asked).toContain('Connector name (snake_case)');
    expect(asked).toContain('"Not Snake" must be snake_case');
    expect(asked).toContain('is not one of');
    const manifest = parseManifest(readFileSync(join(dir, 'manifest.yaml'), 'utf8'), 'm');
    expect(manifest.name).toBe('asked');
    expect(manifest.requester.authenticator.type).toBe('none');
    expect(manifest.paginator.type).toBe('page_number');
    expect(manifest.streams[0]!.name).toBe('tickets');
  });

  it('the CLI exits 2 with the error when a flag is wrong', async () => {
    const r = await runCli(['init', 'bad', '--dir', join(root, 'bad'), '--paging', 'pages', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error \[TRB_USAGE\]: tributary init --paging: --paging "pages" is not one of/);
    expect(existsSync(join(root, 'bad'))).toBe(false);
  });
});
