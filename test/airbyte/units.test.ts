/** The pure parts of the Airbyte adapter: input state shapes, catalogs, line splitting, error mapping, logs. */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseConfiguredCatalog, toAirbyteStream } from '../../src/airbyte/catalog.js';
import { readLines } from '../../src/airbyte/line-reader.js';
import { toLogMessage } from '../../src/airbyte/log-bridge.js';
import { errorTraceMessage, failureTypeOf, RecordEncoder, recordLine } from '../../src/airbyte/messages.js';
import { parseIncomingState, toStoredState } from '../../src/airbyte/state-input.js';
import { canonicalJson, contentKey } from '../../src/airbyte/stream-load.js';
import { AuthError, ConfigError, RateLimitError, SourceError, TributaryError } from '../../src/errors.js';
import { ExactNumber } from '../../src/util/exact-number.js';
import { globalRedactor } from '../../src/util/redact.js';

describe('incoming state', () => {
  const blob = { version: 1, mode: 'incremental', source: { cursor: 'c' }, complete: true };
  it.each([
    [
      'per-stream list',
      [{ type: 'STREAM', stream: { stream_descriptor: { name: 'a' }, stream_state: blob } }],
    ],
    [
      'echoed STATE messages',
      [
        {
          type: 'STATE',
          state: { type: 'STREAM', stream: { stream_descriptor: { name: 'a' }, stream_state: blob } },
        },
      ],
    ],
    [
      'global',
      {
        type: 'GLOBAL',
        global: {
          shared_state: {},
          stream_states: [{ stream_descriptor: { name: 'a' }, stream_state: blob }],
        },
      },
    ],
    ['typed legacy', { type: 'LEGACY', data: { a: blob } }],
    ['untyped legacy message', { data: { a: blob } }],
    ['bare legacy blob', { a: blob }],
  ])('%s', (_name, raw) => {
    expect(parseIncomingState(raw, 'state f')).toEqual(new Map([['a', blob]]));
  });

  it('names what is wrong', () => {
    expect(() => parseIncomingState([{ type: 'WEIRD' }], 'state f')).toThrow(
      /state f: \[0\] has unknown state type "WEIRD"/,
    );
    expect(() => parseIncomingState([{ type: 'STREAM', stream: {} }], 'state f')).toThrow(
      /\[0\]\.stream\.stream_descriptor\.name must be a string/,
    );
    expect(() => parseIncomingState({ a: 3 }, 'state f')).toThrow(/the state\.a must be an object/);
  });

  it('a foreign blob is the checkpoint of a completed read', () => {
    expect(toStoredState({ cursor: 'x' }, 'incremental')).toEqual({
      version: 1,
      mode: 'incremental',
      source: { cursor: 'x' },
      complete: true,
    });
    expect(toStoredState(blob, 'incremental')).toBe(blob);
  });
});

describe('catalogs', () => {
  it('a configured catalog is validated field by field', () => {
    expect(() => parseConfiguredCatalog({}, 'catalog c')).toThrow(/catalog c: streams must be a list/);
    const stream = { name: 'a', json_schema: {}, supported_sync_modes: ['full_refresh'] };
    expect(() =>
      parseConfiguredCatalog(
        { streams: [{ stream, sync_mode: 'sometimes', destination_sync_mode: 'append' }] },
        'c',
      ),
    ).toThrow(/streams\[0\]\.sync_mode must be one of full_refresh, incremental, got "sometimes"/);
    expect(() => parseConfiguredCatalog({ streams: [{ stream, primary_key: ['id'] }] }, 'c')).toThrow(
      /streams\[0\]\.primary_key must be a list of field paths/,
    );
    expect(() => parseConfiguredCatalog({ streams: [{ stream }, { stream }] }, 'c')).toThrow(
      /"a" is configured twice/,
    );
    const ok = parseConfiguredCatalog({ streams: [{ stream }] }, 'c');
    expect(ok.streams[0]).toMatchObject({ sync_mode: 'full_refresh', destination_sync_mode: 'append' });
  });

  it('an AirbyteStream from a StreamDescriptor', () => {
    expect(
      toAirbyteStream({
        name: 'a',
        primaryKey: ['id'],
        jsonSchema: { type: 'object' },
        declaredColumns: {},
        supportedSyncModes: ['full_refresh', 'incremental'],
        cursorField: 'updated_at',
        resumable: true,
      }),
    ).toEqual({
      name: 'a',
      json_schema: { type: 'object' },
      supported_sync_modes: ['full_refresh', 'incremental'],
      source_defined_cursor: true,
      default_cursor_field: ['updated_at'],
      source_defined_primary_key: [['id']],
      is_resumable: true,
    });
  });
});

describe('line reader', () => {
  const lines = async (chunks: string[], max?: number) => {
    const out = [];
    for await (const l of readLines(Readable.from(chunks.map((c) => Buffer.from(c))), max)) out.push(l);
    return out;
  };

  it('splits across chunks, strips CR, and tells a cut-off last line', async () => {
    expect(await lines(['{"a":', '1}\r\n{"b"', ':2}\n{"c'])).toEqual([
      { text: '{"a":1}', number: 1, terminated: true },
      { text: '{"b":2}', number: 2, terminated: true },
      { text: '{"c', number: 3, terminated: false },
    ]);
  });

  it('keeps multi-byte characters split across chunks intact', async () => {
    const buf = Buffer.from('{"n":"Zoë ✓"}\n');
    const out = [];
    for await (const l of readLines(
      Readable.from([buf.subarray(0, 9), buf.subarray(9, 14), buf.subarray(14)]),
    ))
      out.push(l.text);
    expect(out).toEqual(['{"n":"Zoë ✓"}']);
  });

  it('refuses a line longer than the cap instead of buffering it', async () => {
    await expect(lines(['x'.repeat(50), 'y'.repeat(60)], 100)).rejects.toThrow(
      /input line 1 is longer than 100 bytes/,
    );
  });
});

describe('messages', () => {
  it('maps our errors to Airbyte failure types', () => {
    expect(failureTypeOf(new ConfigError('x'))).toBe('config_error');
    expect(failureTypeOf(new AuthError('x'))).toBe('config_error');
    expect(failureTypeOf(new RateLimitError('x'))).toBe('transient_error');
    expect(failureTypeOf(new SourceError('TRB_SOURCE_NETWORK', 'x'))).toBe('transient_error');
    expect(failureTypeOf(new SourceError('TRB_SOURCE_HTTP', 'x', { details: { status: 503 } }))).toBe(
      'transient_error',
    );
    expect(failureTypeOf(new SourceError('TRB_SOURCE_HTTP', 'x', { details: { status: 404 } }))).toBe(
      'system_error',
    );
    expect(failureTypeOf(new SourceError('TRB_SOURCE_RECORD', 'x'))).toBe('system_error');
    expect(failureTypeOf(new TributaryError('TRB_INTERNAL', 'x'))).toBe('system_error');
    expect(failureTypeOf(new Error('x'))).toBe('system_error');
  });

  it('redacts secrets in errors and logs', () => {
    globalRedactor.add('s3cr3t-value');
    const e = errorTraceMessage(
      new SourceError('TRB_SOURCE_HTTP', 'GET https://x/?token=s3cr3t-value failed'),
    );
    expect(JSON.stringify(e)).not.toContain('s3cr3t-value');
    const l = toLogMessage('{"level":"warn","time":"t","msg":"key s3cr3t-value","url":"u"}');
    expect(l).toEqual({ type: 'LOG', log: { level: 'WARN', message: 'key *** {"url":"u"}' } });
  });

  it('a RECORD line is the same JSON as the object form', () => {
    const line = recordLine('s', 'ns', { a: 1, b: 'x"y' }, 1700000000000);
    expect(JSON.parse(line)).toEqual({
      type: 'RECORD',
      record: { stream: 's', namespace: 'ns', data: { a: 1, b: 'x"y' }, emitted_at: 1700000000000 },
    });
    expect(line.endsWith('}\n')).toBe(true);
  });

  it('RECORD lines write exact numbers (ids beyond 2^53, 1e400) as the number tokens the API sent', () => {
    const data = { id: new ExactNumber('9007199254740993'), v: [new ExactNumber('1e400')], n: 1 };
    const want = '"data":{"id":9007199254740993,"v":[1e400],"n":1}';
    expect(recordLine('s', undefined, data, 1)).toContain(want);
    expect(new RecordEncoder('s', undefined).encode([data], 1).toString('utf8')).toContain(want);
  });

  it('a page encoded to bytes is exactly its RECORD lines, whatever the characters and sizes', () => {
    const records = [
      { a: 1, b: 'x"y\\z', c: null, d: true },
      { text: 'Grüße – 日本語 😀', lone: '\ud800', nl: 'a\nb\u2028c' },
      { big: 'é'.repeat(150_000) },
      {},
    ];
    for (const ns of [undefined, 'ns "quoted"']) {
      const enc = new RecordEncoder('stréam', ns);
      const want = records.map((r) => recordLine('stréam', ns, r, 1700000000123)).join('');
      expect(enc.encode(records, 1700000000123).toString('utf8')).toBe(want);
      expect(enc.encode([], 1).length).toBe(0);
    }
  });

  it('a released page buffer is reused without leaking the previous page into the next', () => {
    const enc = new RecordEncoder('s', undefined);
    const long = Array.from({ length: 300 }, (_, i) => ({ i, pad: 'x'.repeat(500) }));
    const first = enc.encode(long, 1);
    const firstText = first.toString('utf8');
    enc.release(first);
    const short = enc.encode([{ only: 'one' }], 2);
    expect(short.toString('utf8')).toBe(recordLine('s', undefined, { only: 'one' }, 2));
    // The reused buffer is the released one (no new allocation), so the first chunk must not be read again.
    expect(short.buffer).toBe(first.buffer);
    expect(firstText).toBe(long.map((r) => recordLine('s', undefined, r, 1)).join(''));
    // Without a release every page gets its own buffer.
    const again = enc.encode([{ only: 'two' }], 3);
    expect(again.buffer).not.toBe(short.buffer);
    expect(short.toString('utf8')).toBe(recordLine('s', undefined, { only: 'one' }, 2));
  });

  it('content keys ignore key order and nothing else', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 1 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"e":1,"f":2}]},"b":1}',
    );
    expect(contentKey({ a: 1, b: 2 })).toBe(contentKey({ b: 2, a: 1 }));
    expect(contentKey({ a: 1 })).not.toBe(contentKey({ a: '1' }));
  });
});
