/**
 * Loading connectors by bundled name and by folder path through the one loader: defaults applied by the
 * exported parser, code components imported, the cache keyed by the folder's real path, and a typed error
 * naming the path when a folder or its manifest is missing.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import {
  CONNECTORS_DIR,
  isConnectorPath,
  loadConnector,
  parseManifest,
} from '../../src/connectors/registry.js';
import { getComponent } from '../../src/declarative/registry.js';
import * as library from '../../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'trb-registry-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const MANIFEST = `version: 1
name: my_api
title: My API
spec:
  properties:
    base_url: { type: string, default: 'http://127.0.0.1:9' }
requester:
  base_url: '{{ config.base_url }}'
check: { stream: orders }
streams:
  - name: orders
    path: orders
    primary_key: [id]
    schema: schemas/orders.json
`;

/** A connector folder under the temp root, with `extra` files beside the manifest. */
function folder(name: string, extra: Record<string, string> = {}): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'schemas'), { recursive: true });
  writeFileSync(join(dir, 'manifest.yaml'), MANIFEST);
  writeFileSync(join(dir, 'schemas', 'orders.json'), '{"type":"object"}');
  for (const [file, text] of Object.entries(extra)) writeFileSync(join(dir, file), text);
  return dir;
}

async function rejection(p: Promise<unknown>): Promise<ConfigError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe('loadConnector', () => {
  it('loads a folder by absolute and relative path, with the manifest defaults applied', async () => {
    const dir = folder('plain');
    const c = await loadConnector(dir);
    expect(c.dir).toBe(dir);
    expect(c.manifest.name).toBe('my_api');
    // The defaults the crash in issue 16 lacked (`Object.entries(req.headers)`).
    expect(c.manifest.requester.headers).toEqual({});
    expect(c.manifest.requester.authenticator).toEqual({ type: 'none' });
    expect(Object.keys(c.schemas)).toEqual(['orders']);
    // The same folder spelt another way is the same cached load.
    const rel = relative(process.cwd(), dir);
    expect(await loadConnector(rel.startsWith('.') ? rel : `./${rel}`)).toBe(c);
    expect(await loadConnector('plain', root)).toBe(c);
  });

  it('loads a bundled connector by name and by its folder path alike', async () => {
    const byName = await loadConnector('humaans');
    const byPath = await loadConnector(join(CONNECTORS_DIR, 'humaans'));
    expect(byPath.manifest).toEqual(byName.manifest);
  });

  it('imports components.js beside the manifest, which registers its components', async () => {
    const dir = folder('with_js', {
      'components.js': `globalThis.__trbLoaded = (globalThis.__trbLoaded ?? 0) + 1;
import { registerComponent } from '${new URL('../../src/declarative/registry.ts', import.meta.url).href}';
registerComponent('transform', 'my_api.upper', () => (r) => r);
`,
    });
    await loadConnector(dir);
    expect(getComponent('transform', 'my_api.upper')).toBeTypeOf('function');
    await loadConnector(dir);
    expect((globalThis as { __trbLoaded?: number }).__trbLoaded).toBe(1);
  });

  it('names the path when the folder or its manifest is missing', async () => {
    const missing = await rejection(loadConnector(join(root, 'nope')));
    expect(missing.code).toBe('TRB_UNKNOWN_CONNECTOR');
    expect(missing.message).toContain(join(root, 'nope'));
    mkdirSync(join(root, 'empty'));
    const noManifest = await rejection(loadConnector(join(root, 'empty')));
    expect(noManifest.code).toBe('TRB_UNKNOWN_CONNECTOR');
    expect(noManifest.message).toContain(`${join(root, 'empty')} has no manifest.yaml`);
  });

  it('a component file that fails to load is a manifest error naming it', async () => {
    const dir = folder('broken_js', { 'components.js': 'throw new Error("boom");\n' });
    const err = await rejection(loadConnector(dir));
    expect(err.code).toBe('TRB_MANIFEST_INVALID');
    expect(err.message).toContain(join(dir, 'components.js'));
    expect(err.message).toContain('boom');
  });

  it('an unknown bare name lists the bundled connectors and says how to name a folder', async () => {
    const err = await rejection(loadConnector('salesforce', root));
    expect(err.code).toBe('TRB_UNKNOWN_CONNECTOR');
    expect(err.message).toMatch(/unknown connector "salesforce" \(available: hellobaton, humaans\)/);
    expect(err.message).toContain('./salesforce');
  });
});

describe('isConnectorPath', () => {
  it('paths by shape, bundled names first, then existing folders', () => {
    expect(isConnectorPath('./x', root)).toBe(true);
    expect(isConnectorPath('a/b', root)).toBe(true);
    expect(isConnectorPath('/abs', root)).toBe(true);
    expect(isConnectorPath('humaans', root)).toBe(false);
    expect(isConnectorPath('nothing_here', root)).toBe(false);
    folder('bare');
    expect(isConnectorPath('bare', root)).toBe(true);
  });
});

describe('the library', () => {
  it('exports loadConnector and the parser that applies the defaults', () => {
    expect(library.loadConnector).toBe(loadConnector);
    expect(library.parseManifest).toBe(parseManifest);
    expect(parseManifest(MANIFEST, 'm.yaml').paginator).toEqual({ type: 'none' });
  });
});
