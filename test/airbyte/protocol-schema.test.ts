/**
 * Every kind of message tributary emits, from real runs of the built CLI against the simulators (and the
 * builders for the kinds a healthy run never produces), validated with ajv against the Airbyte protocol
 * schema (vendored in test/fixtures/airbyte). The schema leaves most objects open, so the
 * test also checks that each message carries the payload its type announces.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { toLogMessage } from '../../src/airbyte/log-bridge.js';
import { errorTraceMessage, estimateMessage, streamStatusMessage } from '../../src/airbyte/messages.js';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import { SourceError } from '../../src/errors.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/duckdb.js';
import { configure, type Msg, protocolLines, runCliInput, writeJson } from '../helpers/airbyte.js';

/** A verbatim copy of airbyte-protocol's v0 airbyte_protocol.yaml (MIT); origin in test/fixtures/README.md. */
const PROTOCOL = join(ROOT, 'test', 'fixtures', 'airbyte', 'airbyte_protocol_v0.yaml');
const PAYLOAD: Record<string, string> = {
  RECORD: 'record',
  STATE: 'state',
  LOG: 'log',
  SPEC: 'spec',
  CONNECTION_STATUS: 'connectionStatus',
  CATALOG: 'catalog',
  TRACE: 'trace',
};

/** A label per message kind, fine enough to tell every status, reason and failure type apart. */
function kind(m: Msg): string {
  switch (m.type) {
    case 'CONNECTION_STATUS':
      return `CONNECTION_STATUS:${m.connectionStatus.status}`;
    case 'STATE':
      return `STATE:${m.state.type}${m.state.destinationStats ? ':echoed' : ''}`;
    case 'TRACE': {
      const t = m.trace;
      if (t.type === 'STREAM_STATUS')
        return `TRACE:STREAM_STATUS:${t.stream_status.status}${t.stream_status.reasons ? ':RATE_LIMITED' : ''}`;
      if (t.type === 'ERROR') return `TRACE:ERROR:${t.error.failure_type}`;
      return `TRACE:${t.type}`;
    }
    case 'LOG':
      return 'LOG';
    default:
      return m.type;
  }
}

describe('every message tributary emits validates against the Airbyte protocol schema', () => {
  let sim: SimulatorHandle;
  let dir: string;
  const collected: { where: string; msg: Msg }[] = [];
  const collect = (where: string, msgs: Msg[]) => {
    for (const msg of msgs) collected.push({ where, msg });
  };

  beforeAll(async () => {
    sim = await startHumaansSimulator({ seed: 41, records: 60 });
    dir = tempDir('tributary-airbyte-schema-');
    const config = writeJson(dir, 'config.json', {
      api_token: 'sim-token',
      base_url: sim.baseUrl,
      initial_sync_days: 0,
      max_records_per_page: 2,
      retry_attempts: 0,
      // Slow enough that the rate budget makes the read wait (RATE_LIMITED).
      requests_per_minute: 40,
    });
    const badKey = writeJson(dir, 'bad.json', { api_token: 'nope-nope', base_url: sim.baseUrl });
    collect('spec', protocolLines((await runCli(['airbyte', 'humaans', 'spec'])).stdout));
    collect(
      'check',
      protocolLines((await runCli(['airbyte', 'humaans', 'check', '--config', config])).stdout),
    );
    collect(
      'check bad key',
      protocolLines((await runCli(['airbyte', 'humaans', 'check', '--config', badKey])).stdout),
    );
    const discovered = protocolLines(
      (await runCli(['airbyte', 'humaans', 'discover', '--config', config])).stdout,
    );
    collect('discover', discovered);
    const cat = configure(discovered[0]!, (s) =>
      s.name === 'companies' ? {} : s.name === 'locations' ? { sync_mode: 'full_refresh' } : undefined,
    );
    cat.streams[0].cursor_field = ['name']; // a LOG WARN: the cursor is source-defined
    const catalog = writeJson(dir, 'catalog.json', cat);
    const read = await runCli(['airbyte', 'humaans', 'read', '--config', config, '--catalog', catalog]);
    expect(read.code, read.stderr).toBe(0);
    collect('read', protocolLines(read.stdout));
    const load = await runCliInput(
      ['load', '--from-airbyte', '--destination', `duckdb:${join(dir, 'x.duckdb')}`, '--catalog', catalog],
      read.stdout,
    );
    expect(load.code, load.stderr).toBe(0);
    collect('load echo', protocolLines(load.stdout));
    collect(
      'read bad key',
      protocolLines(
        (await runCli(['airbyte', 'humaans', 'read', '--config', badKey, '--catalog', catalog])).stdout,
      ),
    );
    sim.setFaults({ rate: 1, kinds: ['503'] });
    collect(
      'read 503',
      protocolLines(
        (await runCli(['airbyte', 'humaans', 'read', '--config', config, '--catalog', catalog])).stdout,
      ),
    );
    sim.setFaults(undefined);
    collect('builders', [
      errorTraceMessage(new SourceError('TRB_SOURCE_BAD_RESPONSE', 'bad body'), { name: 'people' }),
      errorTraceMessage(new Error('boom')),
      estimateMessage({ name: 'people', namespace: 'hr' }, 1200, 3_000_000),
      streamStatusMessage({ name: 'people' }, 'RUNNING', Date.now() + 1500.5),
      toLogMessage('{"level":"error","time":"t","msg":"something failed","stream":"people"}'),
    ] as Msg[]);
  }, 120_000);

  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('validates each message with ajv, and covers every kind', () => {
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const schema = parse(readFileSync(PROTOCOL, 'utf8')) as { $id: string };
    ajv.addSchema(schema);
    const validate = ajv.compile({ $ref: `${schema.$id}#/definitions/AirbyteMessage` });
    const kinds = new Set<string>();
    for (const { where, msg } of collected) {
      const ok = validate(msg);
      expect(ok, `${where}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(msg).slice(0, 400)}`).toBe(
        true,
      );
      const key = PAYLOAD[msg.type];
      expect(key, `${where}: we never emit ${msg.type}`).toBeDefined();
      expect(msg[key!], `${where}: ${msg.type} without ${key}`).toBeTypeOf('object');
      kinds.add(kind(msg));
    }
    expect([...kinds].sort()).toEqual(
      [
        'CATALOG',
        'CONNECTION_STATUS:FAILED',
        'CONNECTION_STATUS:SUCCEEDED',
        'LOG',
        'RECORD',
        'SPEC',
        'STATE:STREAM',
        'STATE:STREAM:echoed',
        'TRACE:ERROR:config_error',
        'TRACE:ERROR:system_error',
        'TRACE:ERROR:transient_error',
        'TRACE:ESTIMATE',
        'TRACE:STREAM_STATUS:COMPLETE',
        'TRACE:STREAM_STATUS:INCOMPLETE',
        'TRACE:STREAM_STATUS:RUNNING',
        'TRACE:STREAM_STATUS:RUNNING:RATE_LIMITED',
        'TRACE:STREAM_STATUS:STARTED',
      ].sort(),
    );
  });

  it('a message missing what the protocol requires is refused by the same validator (the test has teeth)', () => {
    const ajv = new Ajv({ strict: false, validateFormats: false });
    const schema = parse(readFileSync(PROTOCOL, 'utf8')) as { $id: string };
    ajv.addSchema(schema);
    const validate = ajv.compile({ $ref: `${schema.$id}#/definitions/AirbyteMessage` });
    expect(validate({ type: 'RECORD', record: { stream: 's', data: {} } })).toBe(false); // no emitted_at
    expect(validate({ type: 'RECORD', record: { stream: 's', data: {}, emitted_at: 1.5 } })).toBe(false);
    expect(
      validate({
        type: 'TRACE',
        trace: {
          type: 'STREAM_STATUS',
          emitted_at: 1,
          stream_status: { stream_descriptor: { name: 's' }, status: 'PAUSED' },
        },
      }),
    ).toBe(false);
  });
});
