/**
 * `tributary airbyte <connector> spec|check|discover|read`: the built CLI against the simulators. Every
 * test also checks the protocol's first rule: stdout carries nothing but JSON messages, one per line.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHellobatonSimulator } from '../../src/connectors/hellobaton/simulator/index.js';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/duckdb.js';
import { configure, type Msg, protocolLines, writeJson } from '../helpers/airbyte.js';

let humaans: SimulatorHandle;
let baton: SimulatorHandle;
let dir: string;
let hConfig: string;
let bConfig: string;
let hCatalog: Msg;

const airbyte = (...args: string[]) => runCli(['airbyte', ...args]);
const records = (msgs: Msg[], stream?: string) =>
  msgs.filter((m) => m.type === 'RECORD' && (stream === undefined || m.record.stream === stream));
const statuses = (msgs: Msg[], stream: string) =>
  msgs
    .filter((m) => m.type === 'TRACE' && m.trace.type === 'STREAM_STATUS')
    .filter((m) => m.trace.stream_status.stream_descriptor.name === stream)
    .map((m) => m.trace.stream_status.status);
const ids = (recs: Msg[]) => [...new Set(recs.map((m) => String(m.record.data.id)))].sort();
const simIds = (stream: string) =>
  humaans
    .records(stream)
    .map((r) => String(r.id))
    .sort();
const lastStates = (msgs: Msg[]) => {
  const by = new Map<string, Msg>();
  for (const m of msgs) if (m.type === 'STATE') by.set(m.state.stream.stream_descriptor.name, m.state);
  return [...by.values()];
};

beforeAll(async () => {
  humaans = await startHumaansSimulator({ seed: 31, records: 200 });
  baton = await startHellobatonSimulator({ seed: 32, records: 200, rateLimitPerMinute: 0 });
  dir = tempDir('tributary-airbyte-src-');
  hConfig = writeJson(dir, 'humaans.json', {
    api_token: 'sim-token',
    base_url: humaans.baseUrl,
    initial_sync_days: 0,
    max_records_per_page: 10,
    retry_attempts: 0,
  });
  bConfig = writeJson(dir, 'baton.json', {
    api_key: 'sim-key',
    company: 'acme',
    base_url: baton.baseUrl,
    page_size: 20,
    requests_per_minute: 100_000,
  });
  const d = await airbyte('humaans', 'discover', '--config', hConfig);
  hCatalog = protocolLines(d.stdout)[0]!;
});
afterAll(async () => {
  await humaans.close();
  await baton.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('spec', () => {
  it.each([
    ['humaans', 'api_token'],
    ['hellobaton', 'api_key'],
  ])('%s: the manifest config spec, secrets marked airbyte_secret', async (connector, secret) => {
    const r = await airbyte(connector, 'spec');
    expect(r.code).toBe(0);
    const msgs = protocolLines(r.stdout);
    expect(msgs).toHaveLength(1);
    const spec = msgs[0]!.spec.connectionSpecification;
    expect(spec.type).toBe('object');
    expect(spec.properties[secret]).toMatchObject({ type: 'string', airbyte_secret: true });
    for (const [k, p] of Object.entries(spec.properties as Record<string, Msg>))
      if (k !== secret) expect(p.airbyte_secret, k).toBeUndefined();
  });
});

describe('check', () => {
  it('SUCCEEDED with a working key', async () => {
    const r = await airbyte('humaans', 'check', '--config', hConfig);
    expect(r.code).toBe(0);
    expect(protocolLines(r.stdout)).toEqual([
      { type: 'CONNECTION_STATUS', connectionStatus: { status: 'SUCCEEDED' } },
    ]);
  });

  it('FAILED (exit 0, as Airbyte expects) for a bad key, without echoing it', async () => {
    const bad = writeJson(dir, 'bad-key.json', { api_token: 'wrong-token-123', base_url: humaans.baseUrl });
    const r = await airbyte('humaans', 'check', '--config', bad);
    expect(r.code).toBe(0);
    const [m] = protocolLines(r.stdout);
    expect(m!.connectionStatus.status).toBe('FAILED');
    expect(m!.connectionStatus.message).toMatch(/401|rejected the credentials/);
    expect(r.stdout + r.stderr).not.toContain('wrong-token-123');
  });

  it('FAILED for an invalid company, before any request', async () => {
    const bad = writeJson(dir, 'bad-company.json', { api_key: 'sim-key', company: 'evil.com/x?y' });
    const before = baton.requests().length;
    const r = await airbyte('hellobaton', 'check', '--config', bad);
    expect(r.code).toBe(0);
    const [m] = protocolLines(r.stdout);
    expect(m!.connectionStatus).toMatchObject({ status: 'FAILED' });
    expect(m!.connectionStatus.message).toMatch(/"company" must be your Baton subdomain/);
    expect(baton.requests().length).toBe(before);
  });

  it('FAILED for a config that does not validate or does not exist', async () => {
    const bad = writeJson(dir, 'bad-config.json', { api_token: 'x', max_records_per_page: 9999 });
    const a = protocolLines((await airbyte('humaans', 'check', '--config', bad)).stdout);
    expect(a[0]!.connectionStatus.message).toMatch(/max_records_per_page/);
    const b = protocolLines((await airbyte('humaans', 'check', '--config', `${dir}/nope.json`)).stdout);
    expect(b[0]!.connectionStatus).toMatchObject({ status: 'FAILED' });
  });
});

describe('discover', () => {
  it('reports each stream with schema, sync modes, keys, cursor and resumability', () => {
    const streams = hCatalog.catalog.streams as Msg[];
    expect(streams.map((s) => s.name)).toContain('people');
    for (const s of streams) {
      expect(s.json_schema.properties.id).toBeDefined();
      expect(s.supported_sync_modes).toEqual(['full_refresh', 'incremental']);
      expect(s.source_defined_primary_key).toEqual([['id']]);
      expect(s.default_cursor_field).toEqual(['updated_at']);
      expect(s.source_defined_cursor).toBe(true);
      expect(s.is_resumable).toBe(true);
    }
  });

  it('hellobaton streams are full refresh only, resumable', async () => {
    const r = await airbyte('hellobaton', 'discover', '--config', bConfig);
    const [m] = protocolLines(r.stdout);
    expect(m!.catalog.streams).toHaveLength(17);
    for (const s of m!.catalog.streams as Msg[]) {
      expect(s.supported_sync_modes).toEqual(['full_refresh']);
      expect(s.default_cursor_field).toBeUndefined();
      expect(s.is_resumable).toBe(true);
    }
  });
});

describe('read', () => {
  it('honours the configured catalog: stream selection, sync_mode and namespace', async () => {
    const cat = configure(hCatalog, (s) =>
      s.name === 'people' ? { sync_mode: 'full_refresh' } : s.name === 'companies' ? {} : undefined,
    );
    for (const s of cat.streams) s.stream.namespace = 'hr';
    const catalog = writeJson(dir, 'sel.json', cat);
    const r = await airbyte('humaans', 'read', '--config', hConfig, '--catalog', catalog);
    expect(r.code, r.stderr).toBe(0);
    const msgs = protocolLines(r.stdout);
    expect(new Set(records(msgs).map((m) => m.record.stream))).toEqual(new Set(['people', 'companies']));
    // The keyset paginator re-reads the record at each page bound, so count distinct ids.
    expect(ids(records(msgs, 'people'))).toEqual(simIds('people'));
    expect(ids(records(msgs, 'companies'))).toEqual(simIds('companies'));
    for (const m of records(msgs)) {
      expect(m.record.namespace).toBe('hr');
      expect(Number.isInteger(m.record.emitted_at)).toBe(true);
      expect(Math.abs(m.record.emitted_at - Date.now())).toBeLessThan(120_000);
    }
    const states = lastStates(msgs);
    expect(
      states.find((s) => s.stream.stream_descriptor.name === 'people')!.stream.stream_state,
    ).toMatchObject({
      version: 1,
      mode: 'full_refresh',
      complete: true,
    });
    expect(
      states.find((s) => s.stream.stream_descriptor.name === 'companies')!.stream.stream_state,
    ).toMatchObject({
      mode: 'incremental',
      complete: true,
    });
    // The record counts of a stream's STATEs add up to its records.
    const counted = msgs
      .filter((m) => m.type === 'STATE' && m.state.stream.stream_descriptor.name === 'people')
      .reduce((a, m) => a + m.state.sourceStats.recordCount, 0);
    expect(counted).toBe(records(msgs, 'people').length);
    for (const s of ['people', 'companies'])
      expect(statuses(msgs, s)).toEqual(['STARTED', 'RUNNING', 'COMPLETE']);
  });

  it('a cursor_field other than the source-defined one is reported in a LOG and ignored', async () => {
    const cat = configure(hCatalog, (s) => (s.name === 'companies' ? {} : undefined));
    cat.streams[0].cursor_field = ['name'];
    const r = await airbyte(
      'humaans',
      'read',
      '--config',
      hConfig,
      '--catalog',
      writeJson(dir, 'cur.json', cat),
    );
    expect(r.code).toBe(0);
    const logs = protocolLines(r.stdout).filter((m) => m.type === 'LOG');
    expect(logs[0]!.log).toMatchObject({ level: 'WARN' });
    expect(logs[0]!.log.message).toMatch(/source-defined cursor \(updated_at\).*\["name"\] is ignored/);
  });

  it('resumes from incoming state in per-stream, global and legacy form', async () => {
    const cat = writeJson(
      dir,
      'docs.json',
      configure(hCatalog, (s) => (s.name === 'documents' ? {} : undefined)),
    );
    const first = protocolLines(
      (await airbyte('humaans', 'read', '--config', hConfig, '--catalog', cat)).stdout,
    );
    const all = records(first, 'documents').length;
    expect(all).toBeGreaterThanOrEqual(humaans.records('documents').length);
    const [state] = lastStates(first);
    const cursor = Date.parse(state.stream.stream_state.source.cursor);
    const blob = state.stream.stream_state;
    const forms = {
      perStream: [state],
      global: { type: 'GLOBAL', global: { shared_state: {}, stream_states: [state.stream] } },
      legacyTyped: { type: 'LEGACY', data: { documents: blob } },
      legacyBare: { documents: blob },
      echoed: [{ type: 'STATE', state }],
    };
    for (const [form, value] of Object.entries(forms)) {
      const r = await airbyte(
        'humaans',
        'read',
        '--config',
        hConfig,
        '--catalog',
        cat,
        '--state',
        writeJson(dir, `${form}.json`, value),
      );
      expect(r.code, `${form}: ${r.stdout.slice(0, 500)}`).toBe(0);
      const again = records(protocolLines(r.stdout), 'documents');
      // Only the lookback window (5 minutes before the cursor) is read again.
      expect(again.length, form).toBeLessThan(all);
      for (const m of again)
        expect(Date.parse(m.record.data.updated_at), form).toBeGreaterThanOrEqual(cursor - 300_000);
    }
  });

  it('resumes an interrupted full refresh at its page: the StoredStreamState checkpoint round-trips', async () => {
    const cat = writeJson(
      dir,
      'people-fr.json',
      configure(hCatalog, (s) => (s.name === 'people' ? { sync_mode: 'full_refresh' } : undefined)),
    );
    const first = protocolLines(
      (await airbyte('humaans', 'read', '--config', hConfig, '--catalog', cat)).stdout,
    );
    // The state after the first page, as a crashed sync would have committed it.
    const firstState = first.findIndex((m) => m.type === 'STATE');
    const mid = first[firstState]!.state;
    expect(mid.stream.stream_state).toMatchObject({
      mode: 'full_refresh',
      complete: false,
      source: { in_progress: true },
    });
    const bound = mid.stream.stream_state.source.cursor as string;
    const before = humaans.requests().length;
    const r = await airbyte(
      'humaans',
      'read',
      '--config',
      hConfig,
      '--catalog',
      cat,
      '--state',
      writeJson(dir, 'mid.json', [mid]),
    );
    expect(r.code).toBe(0);
    // The resumed read starts at the committed page bound, not at the top.
    expect(humaans.requests()[before]!.query['updatedAt[$gte]']).toBe(bound);
    const rest = records(protocolLines(r.stdout), 'people');
    for (const m of rest) expect(m.record.data.updated_at >= bound).toBe(true);
    // Together with what the first page delivered, every record is there.
    const delivered = records(first.slice(0, firstState), 'people');
    expect(ids([...delivered, ...rest])).toEqual(simIds('people'));
    expect(rest.length).toBeLessThan(records(first, 'people').length);
  });

  it('a catalog naming an unknown stream or an unsupported sync mode: TRACE ERROR config_error, exit 2', async () => {
    const unknown = {
      streams: [
        {
          stream: { name: 'nope', json_schema: {}, supported_sync_modes: ['full_refresh'] },
          sync_mode: 'full_refresh',
          destination_sync_mode: 'append',
        },
      ],
    };
    const a = await airbyte(
      'humaans',
      'read',
      '--config',
      hConfig,
      '--catalog',
      writeJson(dir, 'unknown.json', unknown),
    );
    expect(a.code).toBe(2);
    const [e] = protocolLines(a.stdout);
    expect(e!.trace.error).toMatchObject({
      failure_type: 'config_error',
      internal_message: 'TRB_UNKNOWN_STREAM',
    });
    expect(e!.trace.error.message).toMatch(/unknown stream "nope"/);

    const d = protocolLines((await airbyte('hellobaton', 'discover', '--config', bConfig)).stdout)[0]!;
    const inc = configure(d, (s) => (s.name === 'tasks' ? { sync_mode: 'incremental' } : undefined));
    const b = await airbyte(
      'hellobaton',
      'read',
      '--config',
      bConfig,
      '--catalog',
      writeJson(dir, 'inc.json', inc),
    );
    expect(b.code).toBe(2);
    const msgs = protocolLines(b.stdout);
    expect(records(msgs)).toHaveLength(0);
    expect(msgs[0]!.trace.error.message).toMatch(/does not support sync_mode incremental/);
  });

  it('a stream that fails: TRACE ERROR with its failure type and STREAM_STATUS INCOMPLETE, exit 1', async () => {
    const cat = writeJson(
      dir,
      'co.json',
      configure(hCatalog, (s) => (s.name === 'companies' ? {} : undefined)),
    );
    humaans.setFaults({ rate: 1, kinds: ['500'] });
    try {
      const r = await airbyte('humaans', 'read', '--config', hConfig, '--catalog', cat);
      expect(r.code).toBe(1);
      const msgs = protocolLines(r.stdout);
      const err = msgs.find((m) => m.type === 'TRACE' && m.trace.type === 'ERROR')!;
      expect(err.trace.error).toMatchObject({
        failure_type: 'transient_error',
        stream_descriptor: { name: 'companies' },
      });
      expect(statuses(msgs, 'companies')).toEqual(['STARTED', 'INCOMPLETE']);
    } finally {
      humaans.setFaults(undefined);
    }
    const bad = writeJson(dir, 'bad-read.json', { api_token: 'wrong-token-456', base_url: humaans.baseUrl });
    const r = await airbyte('humaans', 'read', '--config', bad, '--catalog', cat);
    // TRB_AUTH exits 2 (fix the config) here as everywhere: one exit-code table (src/errors.ts).
    expect(r.code).toBe(2);
    const err = protocolLines(r.stdout).find((m) => m.type === 'TRACE' && m.trace.type === 'ERROR')!;
    expect(err.trace.error.failure_type).toBe('config_error');
    expect(r.stdout).not.toContain('wrong-token-456');
  });

  it('reports RATE_LIMITED with quota_reset while the rate budget waits', async () => {
    const slow = writeJson(dir, 'slow.json', {
      api_token: 'sim-token',
      base_url: humaans.baseUrl,
      initial_sync_days: 0,
      max_records_per_page: 2,
      requests_per_minute: 40,
    });
    const cat = writeJson(
      dir,
      'co2.json',
      configure(hCatalog, (s) => (s.name === 'companies' ? {} : undefined)),
    );
    const started = Date.now();
    const r = await airbyte('humaans', 'read', '--config', slow, '--catalog', cat);
    expect(r.code, r.stderr).toBe(0);
    const msgs = protocolLines(r.stdout);
    const limited = msgs.filter((m) => m.type === 'TRACE' && m.trace.stream_status?.reasons);
    expect(limited.length).toBeGreaterThan(0);
    const reason = limited[0]!.trace.stream_status;
    expect(reason.status).toBe('RUNNING');
    expect(reason.reasons[0].type).toBe('RATE_LIMITED');
    expect(reason.reasons[0].rate_limited.quota_reset).toBeGreaterThan(started);
    expect(ids(records(msgs, 'companies'))).toEqual(simIds('companies'));
  });
});
