/**
 * The manifest's `detail` endpoint (docs/reliability.md, "Deletes only on proof") and what a stream's state
 * is fingerprinted by: validated when the source is built, overridable per stream.
 */
import { describe, expect, it } from 'vitest';
import { loadConnector } from '../../src/connectors/registry.js';
import {
  DeclarativeSource,
  type LoadedConnector,
  resolveConnectorConfig,
} from '../../src/declarative/declarative-source.js';

const config = { api_key: 'k', company: 'acme', base_url: 'http://127.0.0.1:9/api', page_size: 50 };

async function build(edit: (c: LoadedConnector) => LoadedConnector, raw: Record<string, unknown> = config) {
  const base = await loadConnector('hellobaton');
  const connector = edit(structuredClone(base));
  return new DeclarativeSource(connector, resolveConnectorConfig(connector, raw));
}

describe('detail endpoints in the manifest', () => {
  it('every bundled stream has one; a stream can disable it with null', async () => {
    const source = await build((c) => {
      c.manifest.streams.find((s) => s.name === 'tasks')!.detail = null;
      return c;
    });
    try {
      const detail = Object.fromEntries(source.streams().map((s) => [s.name, s.detail]));
      expect(detail.tasks).toBe(false);
      expect(Object.entries(detail).filter(([, d]) => !d)).toEqual([['tasks', false]]);
      await expect(source.fetchOne('tasks', { id: 1 })).rejects.toMatchObject({
        code: 'TRB_MANIFEST_INVALID',
        message: expect.stringMatching(/stream "tasks" of hellobaton has no detail endpoint/),
      });
    } finally {
      await source.close();
    }
  });

  it('a detail path naming a field that is not the primary key is refused when the source is built', async () => {
    await expect(
      build((c) => {
        c.manifest.detail = { path: '{path}{uuid}/' };
        return c;
      }),
    ).rejects.toMatchObject({
      code: 'TRB_MANIFEST_INVALID',
      message: expect.stringMatching(/detail path "\{path\}\{uuid\}\/" names \{uuid\}/),
    });
  });
});

describe('paging fingerprint', () => {
  const fingerprints = async (raw: Record<string, unknown>, pageConcurrency?: number) => {
    const base = await loadConnector('hellobaton');
    const source = new DeclarativeSource(base, resolveConnectorConfig(base, raw), { pageConcurrency });
    try {
      const tasks = source.streams().find((s) => s.name === 'tasks')!;
      return { ...tasks.paging, version: source.version };
    } finally {
      await source.close();
    }
  };

  it('changes with the page size and the base URL path; not with the host or the page concurrency', async () => {
    const a = await fingerprints(config);
    expect(a.pageSize).toBe(50);
    expect(a.version).toMatch(/^[0-9a-f]{16}$/);
    expect(await fingerprints({ ...config, base_url: 'http://10.0.0.1:8080/api' }, 1)).toEqual(a);
    const resized = await fingerprints({ ...config, page_size: 25 });
    expect(resized.pageSize).toBe(25);
    expect(resized.fingerprint).not.toBe(a.fingerprint);
    expect((await fingerprints({ ...config, base_url: 'http://127.0.0.1:9/v2/api' })).fingerprint).not.toBe(
      a.fingerprint,
    );
  });
});
