/** Building a DeclarativeSource from an inline manifest (YAML text) for component tests over loopback HTTP. */
import { afterEach } from 'vitest';
import { parseManifest } from '../../src/connectors/registry.js';
import type { Page, SyncMode } from '../../src/engine/source.js';
import {
  DeclarativeSource,
  type LoadedConnector,
  resolveConnectorConfig,
  type SourceOptions,
} from '../../src/declarative/declarative-source.js';
import type { RawPage } from '../../src/declarative/paginators/paginator.js';
import { schemaInfo } from '../../src/declarative/stream-schema.js';
import { type Handler, startServer, type TestServer } from './test-server.js';

/** A connector from manifest text; every stream gets a permissive schema unless `schemas` names one. */
export function inlineConnector(
  yaml: string,
  schemas: Record<string, Record<string, unknown>> = {},
): LoadedConnector {
  const manifest = parseManifest(yaml, 'inline');
  const out: LoadedConnector['schemas'] = {};
  for (const s of manifest.streams)
    out[s.name] = schemaInfo(schemas[s.name] ?? { type: 'object', properties: {} });
  return { manifest, schemas: out, dir: '.' };
}

export function inlineSource(
  yaml: string,
  config: Record<string, unknown>,
  opts: SourceOptions = {},
  schemas: Record<string, Record<string, unknown>> = {},
): DeclarativeSource {
  const connector = inlineConnector(yaml, schemas);
  return new DeclarativeSource(connector, resolveConnectorConfig(connector, config), opts);
}

/** A paginator's pages (stopping after `stopAfter`), for paginator tests that drive `pages()` directly. */
export async function collectPages(
  gen: AsyncGenerator<RawPage>,
  stopAfter = Number.POSITIVE_INFINITY,
): Promise<RawPage[]> {
  const pages: RawPage[] = [];
  for await (const p of gen) {
    pages.push(p);
    if (pages.length >= stopAfter) break;
  }
  return pages;
}

export interface ReadResult {
  pages: Page[];
  error: (Error & { code?: string; details?: Record<string, unknown> }) | undefined;
}

/** Every page of one read (stopping after `maxPages`), and the error that ended it, if any. */
export async function readPages(
  source: DeclarativeSource,
  stream: string,
  mode: SyncMode = 'full_refresh',
  state?: Record<string, unknown>,
  maxPages = Number.POSITIVE_INFINITY,
): Promise<ReadResult> {
  const pages: Page[] = [];
  try {
    for await (const p of source.read(stream, { syncMode: mode, state })) {
      pages.push(p);
      if (pages.length >= maxPages) break;
    }
    return { pages, error: undefined };
  } catch (error) {
    return { pages, error: error as ReadResult['error'] };
  }
}

interface Closable {
  close(): Promise<unknown>;
}

/** Opens loopback servers and inline sources for a test file and closes them after each test. */
export interface OpenedPerTest {
  /** A loopback test server (test-server.ts), closed after the test. */
  serve(handler: Handler): Promise<TestServer>;
  /** inlineSource, closed after the test. */
  source(...args: Parameters<typeof inlineSource>): DeclarativeSource;
  /** Anything else with a close() (a destination, a fake API), closed after the test. */
  add<T extends Closable>(thing: T): T;
}

/**
 * Registers an afterEach that closes, newest first (a source before the server it reads), everything the
 * returned opener made during the test: the one teardown the component tests over loopback HTTP share.
 */
export function closeAfterEach(): OpenedPerTest {
  let opened: Closable[] = [];
  afterEach(async () => {
    const now = opened.reverse();
    opened = [];
    for (const c of now) await c.close();
  });
  const add = <T extends Closable>(thing: T): T => {
    opened.push(thing);
    return thing;
  };
  return {
    serve: async (handler) => add(await startServer(handler)),
    source: (...args) => add(inlineSource(...args)),
    add,
  };
}
