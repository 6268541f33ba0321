/** The record filter: each comparison, all/any, templates; and over HTTP, what it drops and how it is counted. */
import { describe, expect, it } from 'vitest';
import type { DeclarativeSource } from '../../src/declarative/declarative-source.js';
import { Condition, type ConditionDef } from '../../src/declarative/manifest-schema.js';
import { compileRecordFilter } from '../../src/declarative/record-filter.js';
import { closeAfterEach, readPages } from '../helpers/declarative.js';
import { sendJson, type TestServer } from '../helpers/test-server.js';

const ctx = {
  config: { min: 10, status: 'active', since: '2024-01-01T00:00:00Z' },
  now: '2024-06-01T00:00:00.000Z',
};
const keep = (condition: ConditionDef, records: Record<string, unknown>[]) =>
  records.filter(compileRecordFilter({ condition: Condition.parse(condition) }, ctx));

describe('record filter conditions', () => {
  const recs = [
    { id: 1, n: 5, status: 'active', at: '2023-12-31T23:30:00-01:00', tags: { a: 1 } },
    { id: 2, n: 10, status: 'archived', at: '2023-12-31T23:00:00Z' },
    { id: 3, n: 20, status: null, at: '2024-03-01T00:00:00Z' },
    { id: 4, status: 'active' },
  ];
  const ids = (rs: Record<string, unknown>[]) => rs.map((r) => r.id);

  it('eq / ne with a config template; a missing or null field matches only ne', () => {
    expect(ids(keep({ field: 'status', op: 'eq', value: '{{ config.status }}' }, recs))).toEqual([1, 4]);
    expect(ids(keep({ field: 'status', op: 'ne', value: 'active' }, recs))).toEqual([2, 3]);
  });

  it('numbers compare as numbers, even against a numeric string', () => {
    expect(ids(keep({ field: 'n', op: 'gte', value: '{{ config.min }}' }, recs))).toEqual([2, 3]);
    expect(ids(keep({ field: 'n', op: 'lt', value: '9' }, recs))).toEqual([1]);
    // As text "5" > "10"; as numbers it is not.
    expect(ids(keep({ field: 'n', op: 'gt', value: '6' }, recs))).toEqual([2, 3]);
  });

  it('ISO date-times compare as instants, whatever their offset', () => {
    // Record 1 is 2024-01-01T00:30Z written with a -01:00 offset.
    expect(ids(keep({ field: 'at', op: 'gte', value: '{{ config.since }}' }, recs))).toEqual([1, 3]);
    expect(ids(keep({ field: 'at', op: 'lt', value: '{{ now }}' }, recs))).toEqual([1, 2, 3]);
  });

  it('in, exists (true and false), nested paths', () => {
    expect(ids(keep({ field: 'id', op: 'in', value: [2, '4'] }, recs))).toEqual([2, 4]);
    expect(ids(keep({ field: 'status', op: 'exists' }, recs))).toEqual([1, 2, 4]);
    expect(ids(keep({ field: 'n', op: 'exists', value: false }, recs))).toEqual([4]);
    expect(ids(keep({ field: ['tags', 'a'], op: 'eq', value: 1 }, recs))).toEqual([1]);
  });

  it('all / any combine, nested', () => {
    const c: ConditionDef = {
      any: [
        {
          all: [
            { field: 'status', op: 'eq', value: 'active' },
            { field: 'n', op: 'exists' },
          ],
        },
        { field: 'id', op: 'eq', value: 3 },
      ],
    };
    expect(ids(keep(c, recs))).toEqual([1, 3]);
  });

  it('the manifest schema refuses code-like or malformed conditions', () => {
    expect(Condition.safeParse({ field: 'x', op: 'matches', value: '.*' }).success).toBe(false);
    expect(Condition.safeParse({ field: 'x', op: 'in', value: 'a' }).success).toBe(false);
    expect(Condition.safeParse({ all: [] }).success).toBe(false);
    expect(Condition.safeParse({ field: 'x', op: 'eq', value: 1, extra: true }).success).toBe(false);
  });
});

let server: TestServer | undefined;
let source: DeclarativeSource | undefined;
const opened = closeAfterEach();

describe('record filter over HTTP', () => {
  const N = 30;
  const rows = Array.from({ length: N }, (_, i) => ({
    // Deleted rows carry no id: they are dropped before the primary key is checked.
    ...(i % 3 === 2 ? {} : { id: i + 1 }),
    deleted: i % 3 === 2,
  }));

  const manifest = `
version: 1
name: filtery
title: Filtery
spec:
  properties:
    base_url: { type: string }
requester:
  base_url: "{{ config.base_url }}"
selector: { path: [results] }
paginator: { type: page_number, page_param: page, page_size_param: size, page_size: 10, count_path: [count] }
check: { stream: rows }
streams:
  - name: rows
    path: rows
    primary_key: [id]
    schema: rows.json
    record_filter:
      condition: { field: deleted, op: ne, value: true }
`;

  it('drops the records the condition rejects, counts them, and lowers the pass count by them', async () => {
    server = await opened.serve((_req, res, seen) => {
      const page = Number(seen.url.searchParams.get('page'));
      sendJson(res, 200, { count: N, results: rows.slice((page - 1) * 10, page * 10) });
    });
    source = opened.source(manifest, { base_url: server.origin });
    const { pages, error } = await readPages(source, 'rows');
    expect(error).toBeUndefined();
    const kept = pages.flatMap((p) => p.records);
    expect(kept.map((r) => r.id)).toEqual(rows.filter((r) => !r.deleted).map((r) => r.id));
    expect(source.metrics('rows').filtered).toBe(10);
    expect(pages.at(-1)).toMatchObject({ checkpoint: { in_progress: false }, expectedCount: 20 });
  });

  it('a resumed pass gives no count (it cannot know what earlier pages dropped)', async () => {
    server = await opened.serve((_req, res, seen) => {
      const page = Number(seen.url.searchParams.get('page'));
      sendJson(res, 200, { count: N, results: rows.slice((page - 1) * 10, page * 10) });
    });
    source = opened.source(manifest, { base_url: server.origin });
    const first = await readPages(source, 'rows', 'full_refresh', undefined, 1);
    const rest = await readPages(source, 'rows', 'full_refresh', first.pages[0]!.checkpoint);
    expect(rest.error).toBeUndefined();
    expect(rest.pages.at(-1)!.checkpoint).toEqual({ in_progress: false });
    expect(rest.pages.at(-1)!.expectedCount).toBeUndefined();
  });
});
