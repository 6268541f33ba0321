/**
 * Simulators are found by folder, like manifests: the shipped connectors without any list naming them, and
 * a connector folder made on the spot (manifest + simulator module) just as well. The kit imports no
 * connector.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listConnectors, loadConnector } from '../../src/connectors/registry.js';
import { findSimulators, simulatorEntries, simulators } from '../../src/simulator/registry.js';
import { humaansGet } from '../helpers/simulator.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const kitDir = join(root, 'src', 'simulator');

describe('shipped simulators', () => {
  it('every shipped connector folder provides its simulator, found without a list', () => {
    const connectors = listConnectors();
    expect(connectors).toEqual(expect.arrayContaining(['hellobaton', 'humaans']));
    expect([...simulatorEntries.keys()].sort()).toEqual(connectors);
    expect(Object.keys(simulators)).toEqual(connectors);
    for (const [name, e] of simulatorEntries) {
      expect(e.file).toBe(join(root, 'src', 'connectors', name, 'simulator', 'index.ts'));
    }
  });

  it('each module exports startSimulator and what the demo needs', async () => {
    for (const e of simulatorEntries.values()) {
      const mod = await e.load();
      expect(typeof mod.startSimulator, e.name).toBe('function');
      expect(mod.demo?.token, e.name).toEqual(expect.any(String));
      expect(mod.demo?.config('http://127.0.0.1:1/api'), e.name).toMatchObject({
        base_url: 'http://127.0.0.1:1/api',
      });
    }
  });

  it('each simulator serves every stream its manifest reads, and the stream the demo changes', async () => {
    for (const e of simulatorEntries.values()) {
      const { manifest } = await loadConnector(e.name);
      const mod = await e.load();
      const sim = await mod.startSimulator({ records: 30, seed: 3, rateLimitPerMinute: 0 });
      try {
        expect(sim.streams(), e.name).toEqual(expect.arrayContaining(manifest.streams.map((s) => s.name)));
        for (const s of manifest.streams)
          expect(sim.records(s.name).length, `${e.name} ${s.name}`).toBeGreaterThan(0);
        if (mod.demo?.mutateStream !== undefined)
          expect(sim.streams(), e.name).toContain(mod.demo.mutateStream);
      } finally {
        await sim.close();
      }
    }
  });

  it('the kit imports no connector (only the connector finder)', () => {
    const files = readdirSync(kitDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(20);
    for (const f of files) {
      const imports = [...readFileSync(join(kitDir, f), 'utf8').matchAll(/from '([^']+)'/g)].map(
        (m) => m[1]!,
      );
      const connectorImports = imports.filter((i) => i.includes('/connectors/'));
      expect(connectorImports, f).toEqual(f === 'registry.ts' ? ['../connectors/registry.js'] : []);
    }
  });
});

describe('a new connector folder', () => {
  let dir: string;
  beforeAll(() => {
    dir = join(tmpdir(), `tributary-sim-discovery-${process.pid}-${Date.now()}`);
    const folder = (name: string, files: Record<string, string>) => {
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, name, path)), { recursive: true });
        writeFileSync(join(dir, name, path), text);
      }
    };
    const kit = join(kitDir, 'index.ts');
    // A whole Feathers simulator: its data and its credential; paging and the envelope are the dialect's.
    folder('gizmos', {
      'manifest.yaml': 'version: 1\n',
      'simulator.ts': `
import {
  ContractPlan, FeathersCollection, feathersDialect, JsonWriter, isoMillis, makeHandle, MutationClock,
  OpaqueIds, Rng, SimulatorServer,
} from '${kit}';

export async function startSimulator(opts = {}) {
  const seed = opts.seed ?? 1;
  const ids = new OpaqueIds(seed, 9);
  const def = {
    name: 'gizmos',
    path: 'gizmos',
    record: (i, c, u) => new JsonWriter().str('id', ids.id(i)).num('size', i % 4)
      .str('createdAt', isoMillis(c)).str('updatedAt', isoMillis(u)).end(),
    touch: (r) => { r.size = 99; },
  };
  const col = new FeathersCollection(def, {
    seed, size: opts.records ?? 10, ctx: undefined, ids,
    history: { epochMs: Date.UTC(2025, 0, 1), spanMs: 86_400_000 * 30, unitMs: 1000 },
  });
  const contract = new ContractPlan(opts.contract, seed);
  const clock = new MutationClock(col.generatedUntil + 1);
  const token = opts.token ?? 'gizmo-token';
  const server = await SimulatorServer.start(feathersDialect({
    prefix: 'api', services: new Map([['gizmos', col]]), paginate: { default: 5, max: 50 }, contract, clock,
    authenticate: (req) => (req.headers.authorization === 'Bearer ' + token ? token : undefined),
  }), { seed, port: opts.port, host: opts.host });
  return makeHandle(server, {
    baseUrl: server.origin + '/api', contract,
    mutate: (m) => col.mutate(m, new Rng(m.seed ?? 1), clock),
    records: () => col.materialise(),
    streams: () => ['gizmos'],
  });
}
`,
    });
    folder('no-manifest', { 'simulator.ts': 'export const startSimulator = 1;\n' });
    folder('no-simulator', { 'manifest.yaml': 'version: 1\n' });
    folder('broken', {
      'manifest.yaml': 'version: 1\n',
      'simulator/index.ts': 'export const nothing = 1;\n',
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is found by folder: a manifest and a simulator module are enough', async () => {
    const found = findSimulators(dir);
    expect([...found.keys()].sort()).toEqual(['broken', 'gizmos']);
    const mod = await found.get('gizmos')!.load();
    const sim = await mod.startSimulator({ records: 12, token: 't' });
    try {
      const page = await humaansGet(`${sim.baseUrl}/gizmos?$skip=10`, 't');
      expect(page.json).toMatchObject({ total: 12, limit: 5, skip: 10 });
      expect(page.json.data).toHaveLength(2);
      expect(sim.requestCount('gizmos')).toBe(1);
      expect(sim.mutate({ updates: 1 }).updated).toHaveLength(1);
    } finally {
      await sim.close();
    }
  });

  it('a simulator module without startSimulator is refused, naming its file', async () => {
    const broken = findSimulators(dir).get('broken')!;
    await expect(broken.load()).rejects.toThrow(
      `connector broken: ${join(dir, 'broken', 'simulator', 'index.ts')} does not export a startSimulator function`,
    );
  });
});
