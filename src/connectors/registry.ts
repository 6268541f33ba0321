/**
 * Finding and loading connectors. A connector is one folder: `manifest.yaml`, `schemas/*.json`, `README.md`,
 * optionally `components.js` / `components.mjs` / `components.ts` (code components) and, for the bundled ones
 * under src/connectors/, a simulator module (`simulator/index.ts` or `simulator.ts`, found by
 * src/simulator/registry.ts).
 *
 * A connector is named either by a bundled name (`humaans`) or by a folder path (`./my-api`, `/abs/path`,
 * or a bare name that is not bundled but is a folder in the working directory). Both go through the one
 * loader below; the cache is keyed by the folder's resolved real path.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { ConfigError } from '../errors.js';
import type { LoadedConnector } from '../declarative/declarative-source.js';
import { Manifest } from '../declarative/manifest-schema.js';
import { readStreamSchemas } from '../declarative/stream-schema.js';
import { checkTemplates } from '../declarative/template-check.js';

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

/**
 * Whether `ref` names a connector folder rather than a bundled connector: it contains a path separator or
 * starts with '.', or it is not a bundled name but a directory exists there. A bundled name wins over a
 * same-named folder in the working directory; write `./humaans` for the folder.
 */
export function isConnectorPath(ref: string, cwd: string = process.cwd()): boolean {
  if (ref.includes('/') || ref.includes('\\') || ref.startsWith('.') || isAbsolute(ref)) return true;
  if (listConnectors().includes(ref)) return false;
  return isDirectory(resolve(cwd, ref));
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The folder a connector reference points at: a bundled connector's folder, or the path resolved against
 * `baseDir` (default the working directory). Throws TRB_UNKNOWN_CONNECTOR naming the path or the bundled
 * names when there is no such connector.
 */
export function resolveConnectorDir(ref: string, baseDir: string = process.cwd()): string {
  if (!isConnectorPath(ref, baseDir)) {
    const available = listConnectors();
    if (!available.includes(ref)) {
      throw new ConfigError(
        `unknown connector "${ref}" (available: ${available.join(', ')}); a connector folder is named by its path, e.g. ./${ref}`,
        { code: 'TRB_UNKNOWN_CONNECTOR', details: { connector: ref } },
      );
    }
    return join(CONNECTORS_DIR, ref);
  }
  const dir = resolve(baseDir, ref);
  if (!isDirectory(dir)) {
    throw new ConfigError(`connector folder ${dir} does not exist`, {
      code: 'TRB_UNKNOWN_CONNECTOR',
      details: { connector: ref, path: dir },
    });
  }
  if (!existsSync(join(dir, 'manifest.yaml'))) {
    throw new ConfigError(
      `connector folder ${dir} has no manifest.yaml (create one with: tributary init NAME)`,
      { code: 'TRB_UNKNOWN_CONNECTOR', details: { connector: ref, path: join(dir, 'manifest.yaml') } },
    );
  }
  return realpathSync(dir);
}

const cache = new Map<string, Promise<LoadedConnector>>();

/**
 * Load a connector by bundled name or folder path (relative paths against `baseDir`, default the working
 * directory): its manifest parsed with defaults applied, its code components registered, its schemas read.
 */
export function loadConnector(pathOrName: string, baseDir?: string): Promise<LoadedConnector> {
  let dir: string;
  try {
    dir = resolveConnectorDir(pathOrName, baseDir);
  } catch (err) {
    return Promise.reject(err);
  }
  let p = cache.get(dir);
  if (!p) {
    p = load(dir);
    cache.set(dir, p);
    p.catch(() => cache.delete(dir));
  }
  return p;
}

async function load(dir: string): Promise<LoadedConnector> {
  const manifestPath = join(dir, 'manifest.yaml');
  const manifest = parseManifest(readFileSync(manifestPath, 'utf8'), manifestPath);
  await importComponents(dir);
  const schemas = readStreamSchemas(manifest, dir, manifest.name);
  return { manifest, schemas, dir };
}

/**
 * Code components register themselves on import. The first that exists is imported: for a bundled
 * connector run from dist/, the compiled `components.js` beside this file; then the folder's
 * `components.js`, `components.mjs`, `components.ts`. Plain Node 20 cannot import TypeScript, so a
 * `components.ts` loads only when tributary itself runs under a TypeScript loader (tsx, vitest); otherwise
 * the error says to write (or compile to) `components.js`.
 */
async function importComponents(dir: string): Promise<void> {
  const inDist =
    dirname(dir) === CONNECTORS_DIR
      ? [join(here, dir.slice(CONNECTORS_DIR.length + 1), 'components.js')]
      : [];
  const candidates = [
    ...inDist,
    join(dir, 'components.js'),
    join(dir, 'components.mjs'),
    join(dir, 'components.ts'),
  ];
  const file = candidates.find((c) => existsSync(c));
  if (!file) return;
  try {
    await import(pathToFileURL(file).href);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (file.endsWith('.ts') && code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw new ConfigError(
        `${file}: Node cannot load TypeScript components; write them as components.js (ES module) or compile components.ts to components.js beside it`,
        { code: 'TRB_MANIFEST_INVALID', details: { path: file }, cause: err },
      );
    }
    throw new ConfigError(`${file}: loading the code components failed: ${(err as Error).message}`, {
      code: 'TRB_MANIFEST_INVALID',
      details: { path: file },
      cause: err,
    });
  }
}

/**
 * Parse and validate a manifest's YAML text, applying the schema's defaults (an authenticator of type
 * `none`, empty headers and params, ...). `where` names the file in error messages.
 */
export function parseManifest(text: string, where: string): Manifest {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new ConfigError(`manifest ${where} is not valid YAML: ${(err as Error).message}`, {
      code: 'TRB_MANIFEST_INVALID',
    });
  }
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
  // Every template names a declared config key or a known variable: a typo fails here, with its line.
  checkTemplates(text, where, Object.keys(m.spec.properties));
  const names = new Set(m.streams.map((s) => s.name));
  if (!names.has(m.check.stream)) {
    throw new ConfigError(`manifest ${where}: check.stream "${m.check.stream}" is not one of its streams`, {
      code: 'TRB_MANIFEST_INVALID',
    });
  }
  return m;
}
