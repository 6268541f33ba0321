import { afterEach, describe, expect, it, vi } from 'vitest';
import * as batonVocabulary from '../../src/connectors/hellobaton/simulator/streams/vocabulary.js';
import * as humaansVocabulary from '../../src/connectors/humaans/simulator/vocabulary.js';
import { ConfigError } from '../../src/errors.js';
import { simulators } from '../../src/simulator/registry.js';
import { serveSimulator } from '../../src/simulator/serve.js';
import type { SimulatorHandle } from '../../src/simulator/types.js';
import { get, humaansGet, withKey } from '../helpers/simulator.js';

describe('serveSimulator and the registry', () => {
  const open: SimulatorHandle[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(open.splice(0).map((h) => h.close()));
  });

  it('registers both simulators', () => {
    expect(Object.keys(simulators).sort()).toEqual(['hellobaton', 'humaans']);
  });

  it.each(['humaans', 'hellobaton'])('starts %s and announces its base URL on stdout', async (name) => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const h = await serveSimulator(name, { port: 0, seed: 1, records: 20, token: 'cli-token' });
    open.push(h);
    expect(lines).toEqual([`simulator ${name} listening on ${h.baseUrl}\n`]);
    const r =
      name === 'humaans'
        ? await humaansGet(`${h.baseUrl}/documents`, 'cli-token')
        : await get(withKey(`${h.baseUrl}tasks/`, 'cli-token'));
    expect(r.status).toBe(200);
  });

  it('rejects an unknown simulator with a config error naming the choices', async () => {
    const err = await serveSimulator('salesforce').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('TRB_UNKNOWN_CONNECTOR');
    expect((err as Error).message).toMatch(/hellobaton, humaans/);
  });

  it('binds the port it is given', async () => {
    const probe = await simulators.humaans({ records: 1 });
    const port = probe.port;
    await probe.close();
    const h = await simulators.humaans({ records: 1, port });
    open.push(h);
    expect(h.baseUrl).toBe(`http://127.0.0.1:${port}/api`);
  });
});

describe('generated text is JSON-safe ASCII', () => {
  /** Every string reachable in a vocabulary module. */
  function strings(value: unknown, out: string[] = []): string[] {
    if (typeof value === 'string') out.push(value);
    else if (Array.isArray(value)) for (const v of value) strings(v, out);
    else if (value && typeof value === 'object') for (const v of Object.values(value)) strings(v, out);
    return out;
  }

  it('vocabularies have no quotes, backslashes or non-ASCII characters', () => {
    for (const s of [...strings(humaansVocabulary), ...strings(batonVocabulary)]) {
      expect(s, s).toMatch(/^[\x20-\x7e]*$/);
      expect(s, s).not.toMatch(/["\\]/);
    }
  });

  it('served pages are printable ASCII', async () => {
    const h = await simulators.humaans({ records: 300 });
    const b = await simulators.hellobaton({ records: 300 });
    try {
      for (const path of ['companies', 'documents', 'job-roles', 'locations', 'people', 'time-away']) {
        const r = await humaansGet(`${h.baseUrl}/${path}?$limit=250`);
        expect(r.json.data.length, path).toBeGreaterThan(0);
        expect(r.text, path).toMatch(/^[\x20-\x7e]*$/);
      }
      for (const s of b.streams()) {
        const r = await get(withKey(`${b.baseUrl}${s}/`));
        expect(r.json.results.length, s).toBeGreaterThan(0);
        expect(r.text, s).toMatch(/^[\x20-\x7e]*$/);
      }
    } finally {
      await Promise.all([h.close(), b.close()]);
    }
  });
});
