/**
 * A child stream through the engine into a real DuckDB file: rows keyed by (parent key, id), a crash inside
 * the child pass resumed by the next sync without duplicates or gaps, and a full refresh that marks deleted
 * only what its proven pass did not see (a task removed, and every task of a removed project).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDbDestination } from '../../src/destinations/duckdb/duckdb-destination.js';
import type { DeclarativeSource } from '../../src/declarative/declarative-source.js';
import { runSync } from '../../src/engine/sync.js';
import { closeAfterEach } from '../helpers/declarative.js';
import { tempDir } from '../helpers/duckdb.js';
import { sendJson, type TestServer } from '../helpers/test-server.js';

let server: TestServer | undefined;
let source: DeclarativeSource | undefined;
let dest: DuckDbDestination | undefined;
const opened = closeAfterEach();

const manifest = `
version: 1
name: projsync
title: Projsync
spec:
  properties:
    base_url: { type: string }
requester:
  base_url: "{{ config.base_url }}"
  max_retries: 0
selector: { path: [data] }
check: { stream: projects }
streams:
  - name: projects
    path: projects
    primary_key: [id]
    schema: projects.json
  - name: tasks
    path: projects/{{ parent.id }}/tasks
    primary_key: [project_id, id]
    schema: tasks.json
    paginator: { type: cursor, cursor_path: [next], cursor_param: after, page_size_param: limit, page_size: 2 }
    parent: { stream: projects, key: id, partition_field: project_id }
`;

describe('a child stream synced into DuckDB', () => {
  it('is exactly-once across a crash, and a full refresh sweeps only after every parent was proven', async () => {
    // project id -> task titles (task ids 1..n within each project)
    const projects = new Map<number, string[]>([
      [1, ['a', 'b', 'c']],
      [2, ['d', 'e', 'f', 'g', 'h']],
      [3, ['i']],
    ]);
    let failOnce: string | undefined;
    server = await opened.serve((_req, res, seen) => {
      const u = seen.url;
      if (u.pathname === '/projects')
        return sendJson(res, 200, { data: [...projects.keys()].map((id) => ({ id })) });
      const pid = Number(/^\/projects\/(\d+)\/tasks$/.exec(u.pathname)?.[1]);
      if (failOnce !== undefined && `${u.pathname}${u.search}` === failOnce) {
        failOnce = undefined;
        return sendJson(res, 503, { error: 'try later' });
      }
      const titles = projects.get(pid) ?? [];
      const after = Number(u.searchParams.get('after') ?? 0);
      const data = titles
        .map((title, i) => ({ id: i + 1, title }))
        .filter((t) => t.id > after)
        .slice(0, 2);
      const more = titles.slice(after + 2).length > 0;
      sendJson(res, 200, { data, next: more ? String(after + 2) : null });
    });
    dest = opened.add(
      new DuckDbDestination(join(tempDir(), 'children.duckdb'), {
        namespace: 'projsync',
        connector: 'projsync',
      }),
    );
    await dest.open();
    source = opened.source(manifest, { base_url: server.origin });
    const sync = () =>
      runSync({ source: source!, destination: dest!, streams: ['tasks'], fullRefresh: true, batchRows: 1 });
    const table = async () =>
      (
        await dest!.query(
          'SELECT project_id, id, title, _tributary_deleted AS d FROM projsync.tasks ORDER BY project_id, id',
        )
      ).map((r) => `${r.project_id}/${r.id}/${r.title}${r.d === true ? '/deleted' : ''}`);

    // A crash in project 2's second page: what came before is committed, the pass is not complete.
    failOnce = '/projects/2/tasks?limit=2&after=2';
    const crashed = await sync();
    expect(crashed.status).toBe('failed');
    const partial = await table();
    expect(partial).toEqual(['1/1/a', '1/2/b', '1/3/c', '2/1/d', '2/2/e']);

    // The next sync resumes inside project 2 and reads each task exactly once.
    const resumed = await sync();
    expect(resumed.status).toBe('succeeded');
    expect(resumed.streams[0]!.records).toBe(4);
    expect(await table()).toEqual([
      '1/1/a',
      '1/2/b',
      '1/3/c',
      '2/1/d',
      '2/2/e',
      '2/3/f',
      '2/4/g',
      '2/5/h',
      '3/1/i',
    ]);

    // Project 3 is gone and project 1's last task too: a proven full refresh marks exactly those deleted.
    projects.delete(3);
    projects.set(1, ['a', 'b']);
    const swept = await sync();
    expect(swept.status).toBe('succeeded');
    expect(await table()).toEqual([
      '1/1/a',
      '1/2/b',
      '1/3/c/deleted',
      '2/1/d',
      '2/2/e',
      '2/3/f',
      '2/4/g',
      '2/5/h',
      '3/1/i/deleted',
    ]);
  });
});
