/**
 * The Airbyte loader in process, on scripted message streams, into real DuckDB files: destination sync
 * modes, keys, state scopes, echoes, and every kind of bad input. The rule checked throughout: a record
 * is committed only with a STATE (or a stream completion) that covers it, and a STATE is echoed only once
 * its transaction committed.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { committedAirbyteState } from '../../src/airbyte/committed-state.js';
import { queryDuckDb, tempDir } from '../helpers/duckdb.js';
import { catalogOf, loadInto, rec, st, status, text } from '../helpers/airbyte-loader.js';

const PEOPLE_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: ['string', 'null'] },
    updated_at: { type: 'string', format: 'date-time' },
  },
};

let dir: string;
let n = 0;
const db = () => join(dir, `l${n++}.duckdb`);
const rows = (path: string, sql: string) => queryDuckDb(path, sql);

beforeAll(() => {
  dir = tempDir('tributary-airbyte-loader-');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('destination warnings', () => {
  it('a value the destination had to change is counted in the load summary and its runs row', async () => {
    const path = db();
    const catalog = catalogOf([
      { name: 'people', mode: 'append_dedup', pk: [['id']], schema: PEOPLE_SCHEMA },
    ]);
    const r = await loadInto(
      path,
      [
        rec('people', { id: 1, name: 'plain' }),
        rec('people', { id: 2, name: 'broken \ud800 name' }),
        st('people', { cursor: 'a' }),
        status('people', 'COMPLETE'),
      ],
      { catalog },
    );
    expect(r.error).toBeUndefined();
    const expected = [
      { code: 'TRB_DEST_INVALID_UTF16', values: 1, message: expect.stringMatching(/U\+FFFD/) },
    ];
    expect(r.summary!.streams[0]!.warnings).toEqual(expected);
    const [run] = await rows(path, 'select cast(summary as varchar) as s from ab._tributary_runs');
    expect(JSON.parse(String(run!.s))[0].warnings).toEqual(expected);
    expect(await rows(path, 'select name from ab.people where id = 2')).toEqual([
      { name: 'broken \ufffd name' },
    ]);
  });
});

describe('destination sync modes', () => {
  it('append_dedup upserts by the primary key, with column types from the catalog schema', async () => {
    const path = db();
    const catalog = catalogOf([
      { name: 'people', mode: 'append_dedup', pk: [['id']], schema: PEOPLE_SCHEMA },
    ]);
    const r = await loadInto(
      path,
      [
        rec('people', { id: 1, name: 'Ada', updated_at: '2024-01-01T00:00:00Z' }),
        rec('people', { id: 2, name: 'Bob', updated_at: '2024-01-02T00:00:00Z' }),
        st('people', { cursor: 'a' }),
        rec('people', { id: 1, name: 'Ada L.', updated_at: '2024-01-03T00:00:00Z' }),
        st('people', { cursor: 'b' }),
        status('people', 'COMPLETE'),
      ],
      { catalog },
    );
    expect(r.error).toBeUndefined();
    expect(await rows(path, 'select id, name, _tributary_deleted from ab.people order by id')).toEqual([
      { id: '1', name: 'Ada L.', _tributary_deleted: false },
      { id: '2', name: 'Bob', _tributary_deleted: false },
    ]);
    const types = await rows(
      path,
      `select column_name, data_type from information_schema.columns where table_schema = 'ab' and table_name = 'people' and column_name in ('id', 'name', 'updated_at') order by 1`,
    );
    expect(types).toEqual([
      { column_name: 'id', data_type: 'BIGINT' },
      { column_name: 'name', data_type: 'VARCHAR' },
      { column_name: 'updated_at', data_type: 'TIMESTAMP WITH TIME ZONE' },
    ]);
    // Each STATE echoed once, after its commit, with the records it covers.
    expect(r.echoed.map((m) => m.state.destinationStats.recordCount)).toEqual([2, 1]);
    expect(r.echoed.map((m) => m.state.stream!.stream_state!.cursor)).toEqual(['a', 'b']);
    expect(committedAirbyteState(r.states)).toEqual([
      { type: 'STREAM', stream: { stream_descriptor: { name: 'people' }, stream_state: { cursor: 'b' } } },
    ]);
  });

  it('append keeps every record as a new row under a generated key, across loads', async () => {
    const path = db();
    const catalog = catalogOf([{ name: 'events', mode: 'append', pk: [['id']] }]);
    const input = [
      rec('events', { id: 1, v: 'x' }),
      rec('events', { id: 1, v: 'x' }),
      st('events', { n: 1 }),
      rec('events', { id: 2, v: 'y' }),
      st('events', { n: 2 }),
    ];
    expect((await loadInto(path, input, { catalog })).error).toBeUndefined();
    expect((await loadInto(path, input, { catalog })).error).toBeUndefined();
    const got = await rows(path, 'select id, v, _airbyte_key from ab.events order by _airbyte_key');
    expect(got).toHaveLength(6);
    expect(new Set(got.map((g) => g._airbyte_key)).size).toBe(6);
    expect(got.map((g) => g.id).sort()).toEqual(['1', '1', '1', '1', '2', '2']);
  });

  it('overwrite builds the new table aside and swaps it in when the stream completes', async () => {
    const path = db();
    const catalog = catalogOf([{ name: 'items', mode: 'overwrite', pk: [['id']] }]);
    const first = await loadInto(
      path,
      [
        rec('items', { id: 1 }),
        rec('items', { id: 2 }),
        rec('items', { id: 3 }),
        st('items', { p: 1 }),
        status('items', 'COMPLETE'),
      ],
      { catalog },
    );
    expect(first.error).toBeUndefined();
    expect(await rows(path, 'select id from ab.items order by id')).toEqual([
      { id: '1' },
      { id: '2' },
      { id: '3' },
    ]);

    // A second pass that stops before COMPLETE: its rows stay staged; the old table is untouched.
    const cut = await loadInto(
      path,
      [rec('items', { id: 2 }), rec('items', { id: 4 }), st('items', { p: 2 })],
      {
        catalog,
      },
    );
    expect(cut.error).toBeUndefined();
    expect(cut.summary!.warnings.join('\n')).toMatch(/stay staged/);
    expect(await rows(path, 'select id from ab.items order by id')).toEqual([
      { id: '1' },
      { id: '2' },
      { id: '3' },
    ]);

    // The source resumes the pass from the committed state: the staged rows are kept and swapped in.
    expect(committedAirbyteState(cut.states)[0]!.stream!.stream_state).toEqual({ p: 2 });
    const resumed = await loadInto(
      path,
      [rec('items', { id: 5 }), st('items', { p: 3 }), status('items', 'COMPLETE')],
      {
        catalog,
      },
    );
    expect(resumed.error).toBeUndefined();
    expect(await rows(path, 'select id from ab.items order by id')).toEqual([
      { id: '2' },
      { id: '4' },
      { id: '5' },
    ]);
    expect(resumed.states.items).toMatchObject({ complete: true, writeMode: 'replace' });
  });

  it('without a catalog, infers columns and keys each record by a deterministic content hash', async () => {
    const path = db();
    const input = [
      rec('things', { b: 2, a: { x: [1, 2] } }),
      rec('things', { a: { x: [1, 2] }, b: 2 }),
      rec('things', { a: null, b: 3.5, c: true }),
      st('things', { s: 1 }),
    ];
    expect((await loadInto(path, input)).error).toBeUndefined();
    expect((await loadInto(path, input)).error).toBeUndefined();
    // The same record (key order aside) lands once, and loading the same output again changes nothing.
    const got = await rows(path, 'select a, b, c, _airbyte_key from ab.things order by b');
    expect(got).toHaveLength(2);
    expect(got[0]).toMatchObject({ a: '{"x":[1,2]}', b: 2, c: null });
    expect(got[1]).toMatchObject({ a: null, b: 3.5, c: true });
    expect(String(got[0]!._airbyte_key)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('a nested primary-key path becomes a column of its own', async () => {
    const path = db();
    const catalog = catalogOf([{ name: 'docs', mode: 'append_dedup', pk: [['meta', 'id']] }]);
    const r = await loadInto(
      path,
      [rec('docs', { meta: { id: 'a' }, v: 1 }), rec('docs', { meta: { id: 'a' }, v: 2 }), st('docs', {})],
      { catalog },
    );
    expect(r.error).toBeUndefined();
    expect(await rows(path, 'select meta_id, v from ab.docs')).toEqual([{ meta_id: 'a', v: '2' }]);
  });

  it('refuses destination sync modes it cannot honour', async () => {
    const catalog = catalogOf([{ name: 'x', mode: 'append' }]);
    (catalog.streams[0] as { destination_sync_mode: string }).destination_sync_mode = 'soft_delete';
    const r = await loadInto(db(), [rec('x', { a: 1 })], { catalog });
    expect(r.error).toMatchObject({ code: 'TRB_CONFIG_INVALID', exitCode: 2 });
  });
});

describe('state scopes', () => {
  it('a GLOBAL state commits every stream it covers and is exported as the newest', async () => {
    const path = db();
    const global = (n: number) => ({
      type: 'STATE',
      state: {
        type: 'GLOBAL',
        global: {
          shared_state: { lsn: n },
          stream_states: [{ stream_descriptor: { name: 'a' }, stream_state: { n } }],
        },
      },
    });
    const r = await loadInto(path, [
      rec('a', { id: 1 }),
      rec('b', { id: 1 }),
      global(1),
      rec('b', { id: 2 }),
      global(2),
    ]);
    expect(r.error).toBeUndefined();
    expect(await rows(path, 'select count(*) as n from ab.a')).toEqual([{ n: '1' }]);
    expect(await rows(path, 'select count(*) as n from ab.b')).toEqual([{ n: '2' }]);
    expect(r.echoed.map((m) => m.state.destinationStats.recordCount)).toEqual([2, 1]);
    const exported = committedAirbyteState(r.states);
    expect(exported).toHaveLength(1);
    expect(exported[0]!.global!.shared_state).toEqual({ lsn: 2 });
  });

  it('a LEGACY state (no type, a data blob) works the same way', async () => {
    const path = db();
    const r = await loadInto(path, [
      rec('a', { id: 1 }),
      { type: 'STATE', state: { data: { a: { c: 1 } } } },
    ]);
    expect(r.error).toBeUndefined();
    expect(r.echoed).toHaveLength(1);
    expect(committedAirbyteState(r.states)).toEqual([{ data: { a: { c: 1 } } }]);
  });

  it('batches several STATEs into one write, and echoes them all, in order, after it', async () => {
    const path = db();
    const input = [];
    for (let i = 0; i < 7; i++) input.push(rec('s', { id: i }), st('s', { i }));
    const r = await loadInto(path, input, { batchRows: 3 });
    expect(r.error).toBeUndefined();
    expect(r.echoed.map((m) => m.state.stream!.stream_state!.i)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(await rows(path, 'select count(*) as n from ab.s')).toEqual([{ n: '7' }]);
  });

  it('a source that never checkpoints loads with --commit-at-eof', async () => {
    const path = db();
    const r = await loadInto(path, [rec('s', { id: 1 }), rec('s', { id: 2 })], { commitAtEof: true });
    expect(r.error).toBeUndefined();
    expect(await rows(path, 'select count(*) as n from ab.s')).toEqual([{ n: '2' }]);
  });

  it('a stream the source reports INCOMPLETE drops only what no STATE covers', async () => {
    const path = db();
    const r = await loadInto(path, [
      rec('s', { id: 1 }),
      st('s', { i: 1 }),
      rec('s', { id: 2 }),
      status('s', 'INCOMPLETE'),
    ]);
    expect(r.error).toBeUndefined();
    expect(r.summary!.warnings.join('\n')).toMatch(/INCOMPLETE; 1 records after its last STATE were dropped/);
    expect(await rows(path, 'select id from ab.s')).toEqual([{ id: '1' }]);
  });

  it('fails clearly when uncommitted records outgrow the memory cap', async () => {
    const input = [];
    for (let i = 0; i < 50; i++) input.push(rec('s', { id: i, pad: 'x'.repeat(100) }));
    const r = await loadInto(db(), input, { maxBufferBytes: 2000 });
    expect(r.error?.message).toMatch(/without a STATE to commit them with/);
  });
});

/** Bad input: each case gets a clear error or a documented skip, and nothing past the last STATE lands. */
describe('bad input on stdin', () => {
  const catalog = catalogOf([{ name: 's', mode: 'append_dedup', pk: [['id']] }]);

  it('a line that is not JSON: error naming the line; only what the last STATE covers is committed', async () => {
    const path = db();
    const r = await loadInto(
      path,
      [
        rec('s', { id: 1 }),
        rec('s', { id: 2 }),
        st('s', { c: 1 }),
        rec('s', { id: 3 }),
        'this is not json',
        rec('s', { id: 4 }),
        st('s', { c: 2 }),
      ],
      { catalog },
    );
    expect(r.error).toMatchObject({ code: 'TRB_SOURCE_BAD_RESPONSE', exitCode: 1 });
    expect(r.error!.message).toMatch(/input line 5 is not JSON/);
    expect(await rows(path, 'select id from ab.s order by id')).toEqual([{ id: '1' }, { id: '2' }]);
    expect(r.echoed).toHaveLength(1);
    expect(committedAirbyteState(r.states)[0]!.stream!.stream_state).toEqual({ c: 1 });
  });

  it('an unknown message type: skipped with a warning, the load goes on', async () => {
    const path = db();
    const r = await loadInto(
      path,
      [rec('s', { id: 1 }), { type: 'FUTURE_THING', x: 1 }, rec('s', { id: 2 }), st('s', { c: 1 })],
      {
        catalog,
      },
    );
    expect(r.error).toBeUndefined();
    expect(r.summary!.skipped).toBe(1);
    expect(r.summary!.warnings[0]).toMatch(/line 2: unknown message type "FUTURE_THING" skipped/);
    expect(await rows(path, 'select id from ab.s order by id')).toEqual([{ id: '1' }, { id: '2' }]);
  });

  it('a RECORD for a stream not in the catalog: error; earlier covered records are committed', async () => {
    const path = db();
    const r = await loadInto(
      path,
      [rec('s', { id: 1 }), st('s', { c: 1 }), rec('s', { id: 2 }), rec('intruder', { id: 9 })],
      {
        catalog,
      },
    );
    expect(r.error).toMatchObject({ code: 'TRB_SOURCE_RECORD', exitCode: 1 });
    expect(r.error!.message).toMatch(
      /line 4: RECORD for stream "intruder", which is not in the catalog \(catalog streams: s\)/,
    );
    expect(await rows(path, 'select id from ab.s')).toEqual([{ id: '1' }]);
  });

  it('a STATE before any records: committed as an empty batch (a valid checkpoint), table created', async () => {
    const path = db();
    const r = await loadInto(path, [st('s', { c: 0 }), rec('s', { id: 1 }), st('s', { c: 1 })], { catalog });
    expect(r.error).toBeUndefined();
    expect(r.echoed.map((m) => m.state.destinationStats.recordCount)).toEqual([0, 1]);
    expect(await rows(path, 'select id from ab.s')).toEqual([{ id: '1' }]);
  });

  it('a STATE before any records, then records no STATE covers: the state lands, the records do not', async () => {
    const path = db();
    const r = await loadInto(path, [st('s', { c: 0 }), rec('s', { id: 1 })], { catalog });
    expect(r.error).toMatchObject({ code: 'TRB_SOURCE_BAD_RESPONSE' });
    expect(r.error!.message).toMatch(/ended with 1 records after the last STATE \(s: 1\)/);
    expect(await rows(path, 'select count(*) as n from ab.s')).toEqual([{ n: '0' }]);
    expect(committedAirbyteState(r.states)[0]!.stream!.stream_state).toEqual({ c: 0 });
  });

  it('a GLOBAL STATE before any record, with no catalog to keep it with: skipped with a warning', async () => {
    const r = await loadInto(db(), [
      { type: 'STATE', state: { type: 'GLOBAL', global: { stream_states: [] } } },
    ]);
    expect(r.error).toBeUndefined();
    expect(r.summary!.warnings[0]).toMatch(/GLOBAL STATE arrived before any record.*skipped/);
    expect(r.echoed).toHaveLength(0);
  });

  it('input cut off mid-line: error; nothing after the last STATE is committed', async () => {
    const path = db();
    const whole = text([
      rec('s', { id: 1 }),
      st('s', { c: 1 }),
      rec('s', { id: 2 }),
      rec('s', { id: 3 }),
      st('s', { c: 2 }),
    ]);
    const cut = whole.slice(0, whole.indexOf('{"type":"RECORD","record":{"stream":"s","data":{"id":3}') + 30);
    const r = await loadInto(path, cut, { catalog });
    expect(r.error).toMatchObject({ code: 'TRB_SOURCE_BAD_RESPONSE', exitCode: 1 });
    expect(r.error!.message).toMatch(/cut off in the middle of line 4/);
    expect(await rows(path, 'select id from ab.s')).toEqual([{ id: '1' }]);
    expect(r.echoed).toHaveLength(1);
  });

  it('a last line without its newline but complete is accepted', async () => {
    const path = db();
    const r = await loadInto(path, text([rec('s', { id: 1 }), st('s', { c: 1 })], false), { catalog });
    expect(r.error).toBeUndefined();
    expect(await rows(path, 'select id from ab.s')).toEqual([{ id: '1' }]);
  });

  it('a record without its primary key, or a malformed message: error naming the line', async () => {
    const a = await loadInto(db(), [rec('s', { id: 1 }), st('s', {}), rec('s', { name: 'x' })], { catalog });
    expect(a.error!.message).toMatch(/line 3: a record of stream "s" has no primary key "id"/);
    const b = await loadInto(db(), [{ type: 'RECORD', record: { stream: 's' } }], { catalog });
    expect(b.error!.message).toMatch(/line 1: RECORD of stream "s" without a record.data object/);
    const c = await loadInto(db(), ['[1,2,3]']);
    expect(c.error!.message).toMatch(/line 1: not an Airbyte message/);
  });
});

describe('exact numbers in RECORD lines', () => {
  it('ids beyond 2^53 stay distinct and 1e400 keeps its exact text, keyed by pk and by content', async () => {
    const path = db();
    const catalog = catalogOf([
      { name: 'people', mode: 'append_dedup', pk: [['id']], schema: PEOPLE_SCHEMA },
    ]);
    const line = (stream: string, data: string) =>
      `{"type":"RECORD","record":{"stream":"${stream}","data":${data},"emitted_at":1}}`;
    const r = await loadInto(
      path,
      [
        line('people', '{"id":9007199254740993,"name":"a","score":1e400}'),
        line('people', '{"id":9007199254740992,"name":"b","score":2}'),
        st('people', { cursor: 'a' }),
        status('people', 'COMPLETE'),
      ],
      { catalog },
    );
    expect(r.error).toBeUndefined();
    expect(await rows(path, 'select id::varchar as id, name, score from ab.people order by id')).toEqual([
      { id: '9007199254740992', name: 'b', score: '2' },
      { id: '9007199254740993', name: 'a', score: '1e400' },
    ]);
    const path2 = db();
    const r2 = await loadInto(path2, [
      line('things', '{"n":9007199254740993}'),
      line('things', '{"n":9007199254740992}'),
      line('things', '{"n":9007199254740993}'),
      st('things', { c: 1 }),
    ]);
    expect(r2.error).toBeUndefined();
    // The two distinct numbers are two content keys; the repeated one is one row.
    expect(await rows(path2, 'select n::varchar as n from ab.things order by n')).toEqual([
      { n: '9007199254740992' },
      { n: '9007199254740993' },
    ]);
  });
});
