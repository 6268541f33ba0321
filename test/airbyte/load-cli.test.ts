/**
 * `tributary load --from-airbyte` as a user runs it: stdin in, echoed STATEs out, logs on stderr, and a
 * distinct exit code for each way it can go wrong. Bad input on stdin, each case: a clear error (or a
 * documented skip with a warning), the echo shows exactly what was committed, nothing past the last STATE.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { queryDuckDb, tempDir } from '../helpers/duckdb.js';
import { protocolLines, runCliInput, writeJson } from '../helpers/airbyte.js';
import { catalogOf, rec, st, text } from '../helpers/airbyte-loader.js';

let dir: string;
let catalog: string;
let n = 0;

beforeAll(() => {
  dir = tempDir('tributary-airbyte-load-');
  catalog = writeJson(
    dir,
    'catalog.json',
    catalogOf([{ name: 's', mode: 'append_dedup', pk: [['id']], namespace: 'src' }]),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function load(input: string, extra: string[] = []) {
  const db = join(dir, `c${n++}.duckdb`);
  const r = await runCliInput(
    ['load', '--from-airbyte', '--destination', `duckdb:${db}`, '--catalog', catalog, ...extra],
    input,
  );
  const echoed = protocolLines(r.stdout);
  const ids = async () => (await queryDuckDb(db, 'select id from src.s order by id')).map((x) => x.id);
  return { ...r, echoed, ids, db };
}

describe('load --from-airbyte', () => {
  it('echoes committed STATEs on stdout (and only them); the catalog namespace is the default schema', async () => {
    const r = await load(
      text([rec('s', { id: 1 }), st('s', { c: 1 }), rec('s', { id: 2 }), st('s', { c: 2 })]),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(
      r.echoed.map((m) => [m.type, m.state.stream.stream_state.c, m.state.destinationStats.recordCount]),
    ).toEqual([
      ['STATE', 1, 1],
      ['STATE', 2, 1],
    ]);
    expect(await r.ids()).toEqual(['1', '2']);
    expect(r.stderr).toMatch(/airbyte load finished/);
    const state = await runCli([
      'load',
      '--from-airbyte',
      '--destination',
      `duckdb:${r.db}`,
      '--namespace',
      'src',
      '--committed-state',
    ]);
    expect(state.code).toBe(0);
    expect(JSON.parse(state.stdout)).toEqual([
      { type: 'STREAM', stream: { stream_descriptor: { name: 's' }, stream_state: { c: 2 } } },
    ]);
  });

  it('usage errors exit 2 before anything is opened', async () => {
    const a = await runCliInput(['load', '--destination', `duckdb:${join(dir, 'u.duckdb')}`], '');
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--from-airbyte/);
    const b = await runCliInput(['load', '--from-airbyte', '--destination-sync-mode', 'upsert'], '');
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--destination-sync-mode must be one of append, overwrite, append_dedup/);
    const c = await runCliInput(
      ['load', '--from-airbyte', '--catalog', writeJson(dir, 'bad-cat.json', { streams: [{ stream: {} }] })],
      '',
    );
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/streams\[0\]\.stream\.name must be a non-empty string/);
  });

  it('a non-JSON line: exit 1, the line named; covered records committed, nothing after the last STATE', async () => {
    const r = await load(
      text([
        rec('s', { id: 1 }),
        st('s', { c: 1 }),
        rec('s', { id: 2 }),
        'oops {',
        rec('s', { id: 3 }),
        st('s', { c: 2 }),
      ]),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error \[TRB_SOURCE_BAD_RESPONSE\]: input line 4 is not JSON/);
    expect(r.echoed).toHaveLength(1);
    expect(await r.ids()).toEqual(['1']);
  });

  it('an unknown message type: skipped with a warning on stderr, exit 0', async () => {
    const r = await load(text([{ type: 'HEARTBEAT' }, rec('s', { id: 1 }), st('s', { c: 1 })]));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/input line 1: unknown message type \\?"HEARTBEAT\\?" skipped/);
    expect(await r.ids()).toEqual(['1']);
  });

  it('a RECORD for a stream not in the catalog: exit 1, nothing after the last STATE', async () => {
    const r = await load(
      text([
        rec('s', { id: 1 }),
        st('s', { c: 1 }),
        rec('s', { id: 2 }),
        rec('other', { id: 5 }),
        st('s', { c: 2 }),
      ]),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /error \[TRB_SOURCE_RECORD\]: input line 4: RECORD for stream "other", which is not in the catalog/,
    );
    expect(await r.ids()).toEqual(['1']);
  });

  it('a STATE before any records: committed and echoed (an empty checkpoint), exit 0', async () => {
    const r = await load(text([st('s', { c: 0 }), rec('s', { id: 1 }), st('s', { c: 1 })]));
    expect(r.code, r.stderr).toBe(0);
    expect(r.echoed.map((m) => m.state.destinationStats.recordCount)).toEqual([0, 1]);
    expect(await r.ids()).toEqual(['1']);
  });

  it('input cut off mid-line: exit 1; nothing after the last STATE', async () => {
    const whole = text([rec('s', { id: 1 }), st('s', { c: 1 }), rec('s', { id: 2 }), st('s', { c: 2 })]);
    const r = await load(whole.slice(0, whole.length - 20));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cut off in the middle of line 4/);
    expect(await r.ids()).toEqual(['1']);
    expect(r.echoed).toHaveLength(1);
  });

  it('input that ends after records no STATE covers: exit 1 and a hint; --commit-at-eof lands them', async () => {
    const input = text([rec('s', { id: 1 }), st('s', { c: 1 }), rec('s', { id: 2 })]);
    const r = await load(input);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ended with 1 records after the last STATE \(s: 1\).*--commit-at-eof/);
    expect(await r.ids()).toEqual(['1']);
    const eof = await load(input, ['--commit-at-eof']);
    expect(eof.code, eof.stderr).toBe(0);
    expect(await eof.ids()).toEqual(['1', '2']);
  });
});
