import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hellobatonSizes,
  startHellobatonSimulator,
} from '../../src/connectors/hellobaton/simulator/index.js';
import type { SimulatorHandle } from '../../src/simulator/types.js';
import { BATON_KEY, get, withKey } from '../helpers/simulator.js';

type Rec = Record<string, unknown>;

const STREAMS = [
  'activity',
  'companies',
  'milestones',
  'phases',
  'project_attachments',
  'projects',
  'task_attachments',
  'tasks',
  'templates',
  'time_entries',
  'users',
  'comments',
  'custom_fields',
  'custom_field_options',
  'custom_field_values',
  'milestone_feedback',
  'project_users',
];

describe('Hellobaton simulator: reading', () => {
  let sim: SimulatorHandle;
  let origin: string;
  beforeAll(async () => {
    sim = await startHellobatonSimulator({ records: 1000 });
    origin = `http://127.0.0.1:${sim.port}`;
  });
  afterAll(() => sim.close());

  it('has a trailing-slash base URL and 17 streams', () => {
    expect(sim.baseUrl).toBe(`${origin}/api/`);
    expect(sim.streams()).toEqual(STREAMS);
  });

  it('spreads `records` over the streams, none empty', () => {
    const sizes = hellobatonSizes(1000);
    const total = Object.values(sizes).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(990);
    expect(total).toBeLessThanOrEqual(1010);
    for (const s of STREAMS) {
      expect(sizes[s as keyof typeof sizes], s).toBeGreaterThan(0);
      expect(sim.records(s), s).toHaveLength(sizes[s as keyof typeof sizes]);
    }
    expect(sizes.tasks).toBeGreaterThan(sizes.projects);
    expect(sizes.activity).toBeGreaterThan(sizes.users);
    expect(Object.values(hellobatonSizes(0)).every((n) => n === 1)).toBe(true);
  });

  it('serves the API root map', async () => {
    const r = await get(withKey(sim.baseUrl));
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(STREAMS);
    expect(r.json.tasks).toBe(`${origin}/api/tasks/`);
    expect((await get(sim.baseUrl)).status).toBe(401);
  });

  it('pages in the DRF envelope with absolute next/previous links', async () => {
    const r = await get(withKey(`${sim.baseUrl}tasks/`));
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(['count', 'next', 'previous', 'results']);
    expect(r.json.count).toBe(290);
    expect(r.json.results).toHaveLength(100);
    expect(r.json.next).toBe(`${origin}/api/tasks/?api_key=${BATON_KEY}&page=2`);
    expect(r.json.previous).toBeNull();

    const p2 = await get(r.json.next);
    expect(p2.json.previous).toBe(`${origin}/api/tasks/?api_key=${BATON_KEY}`);
    expect(p2.json.next).toBe(`${origin}/api/tasks/?api_key=${BATON_KEY}&page=3`);
    const p3 = await get(p2.json.next);
    expect(p3.json.results).toHaveLength(90);
    expect(p3.json.next).toBeNull();
    expect(p3.json.previous).toBe(`${origin}/api/tasks/?api_key=${BATON_KEY}&page=2`);
  });

  it('following next links reads every record once, in ascending id order', async () => {
    for (const stream of ['activity', 'projects', 'templates', 'custom_field_values']) {
      const seen: Rec[] = [];
      let next: string | null = withKey(`${sim.baseUrl}${stream}/?page_size=30`);
      while (next) {
        const r = await get(next);
        expect(r.status).toBe(200);
        seen.push(...r.json.results);
        next = r.json.next;
        if (next) expect(next).toContain('page_size=30');
      }
      expect(seen, stream).toEqual(sim.records(stream));
      const ids = seen.map((x) => x.id as number);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    }
  });

  it('clamps page_size to 100 and falls back to the default for junk', async () => {
    for (const [param, expected] of [
      ['500', 100],
      ['0', 100],
      ['-1', 100],
      ['abc', 100],
      ['7', 7],
    ] as const) {
      const r = await get(withKey(`${sim.baseUrl}activity/?page_size=${param}`));
      expect(r.json.results, param).toHaveLength(expected);
    }
  });

  it('takes the last of repeated parameters and does not repeat them in links', async () => {
    const r = await get(
      `${sim.baseUrl}activity/?api_key=${BATON_KEY}&page=2&page_size=10&api_key=${BATON_KEY}&page_size=20`,
    );
    expect(r.status).toBe(200);
    expect(r.json.results).toHaveLength(20);
    expect(r.json.results[0].id).toBe(21);
    expect(r.json.next).toBe(`${origin}/api/activity/?api_key=${BATON_KEY}&page=3&page_size=20`);
    const bad = await get(`${sim.baseUrl}activity/?api_key=${BATON_KEY}&api_key=wrong`);
    expect(bad.status).toBe(401);
  });

  it('answers 404 Invalid page past the end, and supports page=last', async () => {
    const past = await get(withKey(`${sim.baseUrl}tasks/?page=4`));
    expect(past.status).toBe(404);
    expect(past.json).toEqual({ detail: 'Invalid page.' });
    expect((await get(withKey(`${sim.baseUrl}tasks/?page=0`))).status).toBe(404);
    expect((await get(withKey(`${sim.baseUrl}tasks/?page=x`))).status).toBe(404);
    const last = await get(withKey(`${sim.baseUrl}tasks/?page=last`));
    expect(last.json.results).toHaveLength(90);
  });

  it('redirects paths without a trailing slash, keeping the query', async () => {
    const r = await get(withKey(`${sim.baseUrl}tasks?page=2`));
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe(`/api/tasks/?page=2&api_key=${BATON_KEY}`);
    expect((await get(withKey(`${origin}/api`))).headers.location).toBe(`/api/?api_key=${BATON_KEY}`);
    const followed = await fetch(withKey(`${sim.baseUrl}tasks?page=2`));
    expect(followed.status).toBe(200);
    expect(((await followed.json()) as { results: Rec[] }).results[0].id).toBe(101);
    const detail = await get(withKey(`${sim.baseUrl}tasks/5`));
    expect(detail.status).toBe(301);
    expect(detail.headers.location).toBe(`/api/tasks/5/?api_key=${BATON_KEY}`);
  });

  it('authenticates with the api_key query parameter: 401 bad or missing, 403 forbidden', async () => {
    const none = await get(`${sim.baseUrl}tasks/`);
    expect(none.status).toBe(401);
    expect(none.json).toEqual({ detail: 'Invalid API key.' });
    expect((await get(withKey(`${sim.baseUrl}tasks/`, 'nope'))).status).toBe(401);
    const forbidden = await get(withKey(`${sim.baseUrl}tasks/`, 'forbidden-key'));
    expect(forbidden.status).toBe(403);
    expect(forbidden.json).toEqual({ detail: 'You do not have permission to perform this action.' });
    // A bearer header is not how Baton authenticates.
    expect((await get(`${sim.baseUrl}tasks/`, { authorization: `Bearer ${BATON_KEY}` })).status).toBe(401);
  });

  it('builds links from the Host the client dialled', async () => {
    const r = await get(withKey(`${sim.baseUrl}projects/?page_size=1`), {
      host: 'acme.hellobaton.test:8443',
    });
    expect(r.json.next).toBe(
      `http://acme.hellobaton.test:8443/api/projects/?api_key=${BATON_KEY}&page=2&page_size=1`,
    );
    const p = r.json.results[0];
    expect(p._self).toBe('http://acme.hellobaton.test:8443/api/projects/1/');
    expect(p.task_list).toBe('http://acme.hellobaton.test:8443/api/tasks/?project=1');
  });

  it('links relations to records that exist', () => {
    const ids = (s: string) => new Set(sim.records(s).map((r) => `${origin}/api/${s}/${r.id}/`));
    const projects = ids('projects');
    const users = ids('users');
    for (const t of sim.records('tasks')) {
      expect(projects.has(t.project as string)).toBe(true);
      if (t.assigned_to !== null) expect(users.has(t.assigned_to as string)).toBe(true);
      expect(t._self).toBe(`${origin}/api/tasks/${t.id}/`);
    }
    for (const p of sim.records('projects')) {
      expect(typeof p.cost === 'number' ? Number.isInteger(p.cost) : p.cost === null).toBe(true);
    }
  });

  it('filters lists by a related id, as the *_list links do', async () => {
    const project = sim.records('projects')[2];
    const r = await get(withKey(project.task_list as string));
    const expected = sim.records('tasks').filter((t) => t.project === project._self);
    expect(r.json.count).toBe(expected.length);
    expect(r.json.results).toEqual(expected.slice(0, 100));
    // Unknown parameters are ignored.
    expect((await get(withKey(`${sim.baseUrl}tasks/?ordering=-id`))).json.count).toBe(290);
  });

  it('serves detail views and DRF 404s', async () => {
    const r = await get(withKey(`${sim.baseUrl}users/3/`));
    expect(r.json).toEqual(sim.records('users')[2]);
    const missing = await get(withKey(`${sim.baseUrl}users/99999/`));
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ detail: 'Not found.' });
    expect((await get(withKey(`${sim.baseUrl}departments/`))).status).toBe(404);
    expect((await get(withKey(`${origin}/other/`))).status).toBe(404);
  });

  it('counts list requests, not redirects', async () => {
    sim.resetStats();
    await get(withKey(`${sim.baseUrl}tasks/`));
    await get(withKey(`${sim.baseUrl}tasks`));
    await get(withKey(`${sim.baseUrl}users/1/`));
    await get(`${sim.baseUrl}phases/`);
    expect(sim.requestCount()).toBe(2);
    expect(sim.requestCount('tasks')).toBe(1);
    expect(sim.requestCount('phases')).toBe(1);
    expect(sim.requests().map((r) => r.status)).toEqual([200, 301, 200, 401]);
    expect(sim.requests()[0].query).toEqual({ api_key: BATON_KEY });
  });
});

describe('Hellobaton simulator: mutations', () => {
  it('creates at the end, bumps modified past everything, and deletes', async () => {
    const sim = await startHellobatonSimulator({ records: 200, seed: 4 });
    try {
      const before = sim.records('tasks');
      const maxModified = before
        .map((t) => t.modified as string)
        .sort()
        .at(-1) as string;
      const result = sim.mutate({ creates: 3, updates: 4, deletes: 2 });
      expect(result.created).toEqual([59, 60, 61]);
      const after = sim.records('tasks');
      expect(after).toHaveLength(before.length + 1);
      expect(after.slice(-3).map((t) => t.id)).toEqual(result.created);
      for (const id of result.deleted) {
        expect(after.some((t) => t.id === id)).toBe(false);
        expect((await get(withKey(`${sim.baseUrl}tasks/${id}/`))).status).toBe(404);
      }
      const changed = after.filter((t) => (result.updated as number[]).includes(t.id as number));
      expect(changed).toHaveLength(4);
      for (const t of changed) expect((t.modified as string) > maxModified).toBe(true);
      const listed = await get(withKey(`${sim.baseUrl}tasks/`));
      expect(listed.json.count).toBe(after.length);
      expect(listed.json.results).toEqual(after.slice(0, 100));

      // Streams without `modified` still change.
      const t0 = sim.records('time_entries');
      const r = sim.mutate({ stream: 'time_entries', updates: 1, seed: 1 });
      const changedEntry = sim.records('time_entries').find((e) => e.id === r.updated[0]);
      expect(changedEntry).not.toEqual(t0.find((e) => e.id === r.updated[0]));
    } finally {
      await sim.close();
    }
  });
});

describe('Hellobaton simulator: determinism and options', () => {
  it('same seed, same data; another seed, other data', async () => {
    const [a, b, c] = await Promise.all([
      startHellobatonSimulator({ records: 150, seed: 1 }),
      startHellobatonSimulator({ records: 150, seed: 1 }),
      startHellobatonSimulator({ records: 150, seed: 2 }),
    ]);
    try {
      const strip = (rows: Rec[], port: number) =>
        JSON.parse(JSON.stringify(rows).replaceAll(`127.0.0.1:${port}`, 'HOST')) as Rec[];
      for (const s of STREAMS) expect(strip(b.records(s), b.port), s).toEqual(strip(a.records(s), a.port));
      expect(strip(c.records('tasks'), c.port)).not.toEqual(strip(a.records('tasks'), a.port));
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it('honours token, company and pageSizeMax', async () => {
    const sim = await startHellobatonSimulator({
      records: 100,
      token: 'k-1',
      company: 'globex',
      pageSizeMax: 10,
    });
    try {
      expect((await get(withKey(`${sim.baseUrl}tasks/`))).status).toBe(401);
      const r = await get(withKey(`${sim.baseUrl}tasks/?page_size=50`, 'k-1'));
      expect(r.json.results).toHaveLength(10);
      expect(sim.records('companies')[0].name).toBe('Globex');
      expect(sim.records('users')[0].email).toMatch(/@globex\.example\.com$/);
    } finally {
      await sim.close();
    }
  });
});
