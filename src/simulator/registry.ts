/**
 * Simulators by connector name, for the CLI (`tributary simulate <connector>`), the demo, tests and the
 * benchmarks. They are found by folder, as manifests are: a connector folder (one with a manifest.yaml)
 * that holds a simulator module, `simulator/index.ts` or `simulator.ts`, has a simulator. The module
 * exports `startSimulator` and, if `tributary demo` should sync it, `demo`. No list names the connectors,
 * and the kit imports none of them by name.
 *
 * Modules are imported on first use, so starting one simulator does not load another's generators.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CONNECTORS_DIR, listConnectors } from '../connectors/registry.js';
import type { SimulatorDemo, SimulatorFactory, SimulatorHandle, SimulatorOptions } from './types.js';

/** What a connector's simulator module exports. */
export interface SimulatorModule {
  startSimulator: SimulatorFactory;
  demo?: SimulatorDemo;
}

/** A discovered simulator: its module file, loaded when first asked for. */
export interface SimulatorEntry {
  name: string;
  file: string;
  load(): Promise<SimulatorModule>;
}

/** Module paths tried in each connector folder, first match wins. */
const MODULES = ['simulator/index', 'simulator'];

/** From dist/ the compiled .js files sit beside this folder; from src/ the .ts files do. */
const COMPILED_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'connectors');

/**
 * The simulators in the connector folders of `connectorsDir`, by name. A compiled module (.js) under
 * `compiledDir` is preferred to the source beside the manifest, as for code components.
 */
export function findSimulators(
  connectorsDir: string,
  compiledDir: string = connectorsDir,
): Map<string, SimulatorEntry> {
  const found = new Map<string, SimulatorEntry>();
  for (const name of listConnectors(connectorsDir)) {
    const file = moduleFile(name, connectorsDir, compiledDir);
    if (file === undefined) continue;
    let loaded: Promise<SimulatorModule> | undefined;
    const load = () => {
      loaded ??= importModule(name, file);
      loaded.catch(() => {
        loaded = undefined;
      });
      return loaded;
    };
    found.set(name, { name, file, load });
  }
  return found;
}

function moduleFile(name: string, connectorsDir: string, compiledDir: string): string | undefined {
  const candidates = [
    ...MODULES.map((m) => join(compiledDir, name, `${m}.js`)),
    ...MODULES.flatMap((m) => [join(connectorsDir, name, `${m}.ts`), join(connectorsDir, name, `${m}.js`)]),
  ];
  return candidates.find((f) => existsSync(f));
}

async function importModule(name: string, file: string): Promise<SimulatorModule> {
  const mod = (await import(pathToFileURL(file).href)) as Partial<SimulatorModule>;
  if (typeof mod.startSimulator !== 'function') {
    // A connector's programming error, not a user's: say which file breaks the convention.
    throw new Error(`connector ${name}: ${file} does not export a startSimulator function`);
  }
  return mod as SimulatorModule;
}

/** The shipped connectors' simulators. */
export const simulatorEntries: ReadonlyMap<string, SimulatorEntry> = findSimulators(
  CONNECTORS_DIR,
  COMPILED_DIR,
);

/** Start functions by connector name (sorted). */
export const simulators: Record<string, (o: SimulatorOptions) => Promise<SimulatorHandle>> =
  Object.fromEntries(
    [...simulatorEntries.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((e) => [e.name, async (o: SimulatorOptions) => (await e.load()).startSimulator(o)]),
  );
