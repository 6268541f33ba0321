/**
 * Parent → child streams through DeclarativeSource against a loopback API of projects and their tasks:
 * every task read once with its project's key, state per parent, a crash resumed without re-reading finished
 * parents, an incremental cursor per parent, and the child's pass proven only when the parent's and every
 * child's are.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from '../../src/engine/source.js';
import type { DeclarativeSource } from '../../src/declarative/declarative-source.js';
import { closeAfterEach, inlineConnector, inlineSource, readPages } from '../helpers/declarative.js';
import { sendJson, type TestServer } from '../helpers/test-server.js';

interface Task {
  id: number;
  title: string;
  updated_at: string;
}

/** Project keys include one that needs URL-encoding. Task ids repeat across projects (unique only within one). */
const PROJECTS = ['p1', 'p2', 'a/b c', 'p4', 'p5'];
function tasksOf(p: number, n: number): Task[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    title: `task ${i + 1} of ${PROJECTS[p]}`,
    updated_at: new Date(Date.UTC(2024, 0, 1 + p) + i * 60_000).toISOString(),
  }));
}
const TASKS = new Map(PROJECTS.map((key, p) => [key, tasksOf(p, [7, 0, 3, 12, 5][p]!)]));

let server: TestServer | undefined;
let source: DeclarativeSource | undefined;
const opened = closeAfterEach();

interface ApiOpts {
  /** Project whose task list repeats a record (a broken pass). */
  duplicateIn?: string;
  /** The projects list's second page answers 500. */
  projectsFail?: boolean;
}

/** Projects: 2 a page by next link. Tasks: 5 a page by page number, filtered by `since`. */
async function api(o: ApiOpts = {}) {
  server = await opened.serve((_req, res, seen) => {
    const u = seen.url;
    if (u.pathname === '/projects') {
      const page = Number(u.searchParams.get('page') ?? 1);
      if (page === 2 && o.projectsFail) return sendJson(res, 500, { error: 'boom' });
      const data = PROJECTS.slice((page - 1) * 2, page * 2).map((key) => ({ key, name: `Project ${key}` }));
      return sendJson(res, 200, {
        data,
        next: page * 2 < PROJECTS.length ? `/projects?page=${page + 1}` : null,
      });
    }
    const m = /^\/projects\/([^/]+)\/tasks$/.exec(u.pathname);
    const tasks = m ? TASKS.get(decodeURIComponent(m[1]!)) : undefined;
    if (!tasks) return sendJson(res, 404, { error: 'no such project' });
    const since = u.searchParams.get('since');
    const hits = tasks.filter((t) => since === null || t.updated_at >= since);
    if (u.searchParams.has('offset')) {
      // Offset paging (the keyset's transport): sorted by updated_at as asked, with a total.
      const offset = Number(u.searchParams.get('offset'));
      const limit = Number(u.searchParams.get('limit'));
      return sendJson(res, 200, { data: hits.slice(offset, offset + limit), total: hits.length });
    }
    const page = Number(u.searchParams.get('page') ?? 1);
    let data = hits.slice((page - 1) * 5, page * 5);
    if (o.duplicateIn === decodeURIComponent(m![1]!) && page === 2) data = [hits[0]!, ...data];
    sendJson(res, 200, { data });
  });
  return server;
}

const PAGE_NUMBER = '{ type: page_number, page_param: page, page_size: 5 }';
const OFFSET =
  '{ type: offset, limit_param: limit, offset_param: offset, page_size: 5, total_path: [total] }';

const manifest = (
  opts: { incremental?: boolean; childPath?: string; paginator?: string; sort?: boolean } = {},
) => `
version: 1
name: projecty
title: Projecty
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
    primary_key: [key]
    schema: projects.json
    paginator: { type: next_link, next_path: [next] }
  - name: tasks
    path: ${opts.childPath ?? 'projects/{{ parent.key }}/tasks'}
    primary_key: [project_key, id]
    schema: tasks.json
    paginator: ${opts.paginator ?? PAGE_NUMBER}
    parent: { stream: projects, key: key, partition_field: project_key }
${opts.incremental ? `    incremental: { cursor_field: updated_at, filter_param: since${opts.sort ? ', sort_param: sort' : ''} }` : ''}
`;

const allTasks = () => PROJECTS.flatMap((key) => TASKS.get(key)!.map((t) => ({ ...t, project_key: key })));
const keyOf = (r: Record<string, unknown>) => `${r.project_key}#${r.id}`;
const records = (pages: Page[]) => pages.flatMap((p) => p.records);
const taskRequests = () => server!.requests.filter((r) => r.url.pathname.endsWith('/tasks'));

describe('parent -> child streams', () => {
  it("reads every parent, then each parent's children with the partition field; ends proven", async () => {
    const s = await api();
    source = opened.source(manifest(), { base_url: s.origin });
    const { pages, error } = await readPages(source, 'tasks');
    expect(error).toBeUndefined();
    expect(records(pages)).toEqual(allTasks());
    // The key with a slash and a space travels encoded, as one path segment.
    expect(taskRequests().some((r) => r.url.pathname === '/projects/a%2Fb%20c/tasks')).toBe(true);
    expect(pages.slice(0, -1).every((p) => p.checkpoint.in_progress === true)).toBe(true);
    expect(pages.at(-1)).toMatchObject({ records: [], checkpoint: { in_progress: false } });
    expect(pages.at(-1)!.expectedCount).toBeUndefined();
    // The parent's state is not the child's business: its stream was read as a plain full refresh.
    expect(s.requests.filter((r) => r.url.pathname === '/projects')).toHaveLength(3);
  });

  it('a crash mid-pass resumes at the parent and page it stopped at; finished parents are not read again', async () => {
    const s = await api();
    source = opened.source(manifest(), { base_url: s.origin });
    const all = await readPages(source, 'tasks');
    for (let stop = 1; stop < all.pages.length - 1; stop++) {
      const first = await readPages(source, 'tasks', 'full_refresh', undefined, stop);
      const cp = first.pages.at(-1)!.checkpoint;
      const before = taskRequests().length;
      const rest = await readPages(source, 'tasks', 'full_refresh', cp);
      expect(rest.error).toBeUndefined();
      const keys = [...records(first.pages), ...records(rest.pages)].map(keyOf);
      expect(keys).toEqual(allTasks().map(keyOf));
      // The resumed read asks only for task pages it had not committed.
      const done = new Set((cp.pass as { done: string[] }).done);
      const asked = taskRequests().slice(before);
      for (const r of asked) expect(done.has(decodeURIComponent(r.url.pathname.split('/')[2]!))).toBe(false);
    }
  });

  it.each([
    ['page_number', { incremental: true }],
    ['offset (keyset)', { incremental: true, paginator: OFFSET, sort: true }],
  ] as const)(
    'incremental with %s paging: a cursor per parent, each parent filtered from its own',
    async (_name, m) => {
      const s = await api();
      source = opened.source(manifest(m), { base_url: s.origin });
      const first = await readPages(source, 'tasks', 'incremental');
      expect(first.error).toBeUndefined();
      const state = first.pages.at(-1)!.checkpoint;
      const transport = 'paginator' in m ? 'offset' : 'page';
      expect(taskRequests().every((r) => r.url.searchParams.has(transport))).toBe(true);
      const parents = state.parents as Record<string, { cursor: string }>;
      for (const key of PROJECTS) {
        const tasks = TASKS.get(key)!;
        if (tasks.length === 0) expect(parents[key]).toBeUndefined();
        else expect(parents[key]).toEqual({ cursor: tasks.at(-1)!.updated_at });
      }
      const before = taskRequests().length;
      const second = await readPages(source, 'tasks', 'incremental', state);
      expect(second.error).toBeUndefined();
      for (const r of taskRequests().slice(before)) {
        const key = decodeURIComponent(r.url.pathname.split('/')[2]!);
        expect(r.url.searchParams.get('since')).toBe(parents[key]?.cursor ?? null);
      }
      // Each parent re-reads only the records at its cursor (its newest), none older.
      expect(records(second.pages).map(keyOf)).toEqual(
        PROJECTS.filter((k) => TASKS.get(k)!.length > 0).map((k) => `${k}#${TASKS.get(k)!.length}`),
      );
      expect(second.pages.at(-1)!.checkpoint).toMatchObject({ in_progress: false, parents });
    },
  );

  it('a child pass that fails its proof fails the stream; no checkpoint claims the pass complete', async () => {
    const s = await api({ duplicateIn: 'p4' });
    source = opened.source(manifest(), { base_url: s.origin });
    const { pages, error } = await readPages(source, 'tasks');
    expect(error).toMatchObject({ code: 'TRB_SOURCE_CONTRACT' });
    expect(pages.every((p) => p.checkpoint.in_progress === true)).toBe(true);
  });

  it('a parent list that cannot be read fails the child stream before it ends', async () => {
    const s = await api({ projectsFail: true });
    source = opened.source(manifest(), { base_url: s.origin });
    const { pages, error } = await readPages(source, 'tasks');
    expect(error).toMatchObject({ code: 'TRB_SOURCE_HTTP' });
    expect(pages.length).toBeGreaterThan(0);
    expect(pages.every((p) => p.checkpoint.in_progress === true)).toBe(true);
  });

  it('manifest mistakes are TRB_MANIFEST_INVALID when the source is built', () => {
    const bad = (m: string) => {
      try {
        inlineSource(m, { base_url: 'http://127.0.0.1:9' });
        return undefined;
      } catch (err) {
        return err as { code: string; message: string };
      }
    };
    expect(bad(manifest().replace('parent: { stream: projects', 'parent: { stream: nope'))).toMatchObject({
      code: 'TRB_MANIFEST_INVALID',
    });
    const noParent = manifest().replace(/\n {4}parent: .*\n/, '\n');
    expect(bad(noParent)?.message).toContain('has no parent');
    expect(() =>
      inlineConnector(manifest().replace('partition_field: project_key', 'partition_field: "x-y"')),
    ).toThrow();
  });
});
