/**
 * Finding and loading connectors. A connector is one folder under src/connectors/: `manifest.yaml`,
 * `schemas/*.json`, `README.md`, optionally `components.ts` (code components) and a simulator module
 * (`simulator/index.ts` or `simulator.ts`, found by src/simulator/registry.ts).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { ConfigError } from '../errors.js';
import type { LoadedConnector } from '../declarative/declarative-source.js';
import { Manifest } from '../declarative/manifest-schema.js';
import { readStreamSchemas } from '../declarative/stream-schema.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Connector folders with their manifests live in src/ (also when running from dist/). */
export const CONNECTORS_DIR = join(here, '..', '..', 'src', 'connectors');

/** The connector folders (those holding a manifest.yaml) in `dir`, by name. */
export function listConnectors(dir: string = CONNECTORS_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'manifest.yaml')))
    .map((d) => d.name)
    .sort();
}

const cache = new Map<string, Promise<LoadedConnector>>();

export function loadConnector(name: string): Promise<LoadedConnector> {
  let p = cache.get(name);
  if (!p) {
    p = load(name);
    cache.set(name, p);
    p.catch(() => cache.delete(name));
  }
  return p;
}

async function load(name: string): Promise<LoadedConnector> {
  const available = listConnectors();
  if (!available.includes(name)) {
    throw new ConfigError(`unknown connector "${name}" (available: ${available.join(', ')})`, {
      code: 'TRB_UNKNOWN_CONNECTOR',
    });
  }
  const dir = join(CONNECTORS_DIR, name);
  const manifest = parseManifest(
    readFileSync(join(dir, 'manifest.yaml'), 'utf8'),
    join(dir, 'manifest.yaml'),
  );
  // Code components register themselves on import. From dist/ the compiled .js sits beside this file.
  for (const candidate of [join(here, name, 'components.js'), join(dir, 'components.ts')]) {
    if (existsSync(candidate)) {
      await import(pathToFileURL(candidate).href);
      break;
    }
  }
  const schemas = readStreamSchemas(manifest, dir, name);
  return { manifest, schemas, dir };
}

export function parseManifest(text: string, where: string): Manifest {
  const raw = parse(text);
  const r = Manifest.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ConfigError(
      `manifest ${where} is invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
      {
        code: 'TRB_MANIFEST_INVALID',
        details: { issues: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) },
      },
    );
  }
  const m = r.data;
  const names = new Set(m.streams.map((s) => s.name));
  if (!names.has(m.check.stream)) {
    throw new ConfigError(`manifest ${where}: check.stream "${m.check.stream}" is not one of its streams`, {
      code: 'TRB_MANIFEST_INVALID',
    });
  }
  return m;
}
