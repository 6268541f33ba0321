/**
 * Contract-deviation modes of both simulators, over real HTTP: each mode bends exactly the promise it
 * names and nothing else, deterministically, and can be switched at runtime.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHellobatonSimulator } from '../../src/connectors/hellobaton/simulator/index.js';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import {
  BIG_ID_BASE,
  JsonWriter,
  parseContractModes,
  type SimulatorHandle,
} from '../../src/simulator/index.js';
import { get, humaansGet, withKey } from '../helpers/simulator.js';

const open: SimulatorHandle[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function baton(opts: Parameters<typeof startHellobatonSimulator>[0] = {}) {
  const sim = await startHellobatonSimulator({ records: 1000, rateLimitPerMinute: 0, ...opts });
  open.push(sim);
  return sim;
}
async function humaans(opts: Parameters<typeof startHumaansSimulator>[0] = {}) {
  const sim = await startHumaansSimulator({ records: 400, ...opts });
  open.push(sim);
  return sim;
}

const tasks = (sim: SimulatorHandle, query = '') => get(withKey(`${sim.baseUrl}tasks/${query}`));
const docs = (sim: SimulatorHandle, query = '') => humaansGet(`${sim.baseUrl}/documents${query}`);
// biome-ignore lint/suspicious/noExplicitAny: records from JSON
const ids = (rows: any[]) => rows.map((r) => String(r.id));

describe('contract modes: parsing and writing', () => {
  it('the JSON writer prints bigints and numeric text exactly, and refuses text that is not a number', () => {
    const w = new JsonWriter()
      .exact('id', BIG_ID_BASE + 1n)
      .exact('m', '1e400')
      .exact('n', null);
    expect(w.end()).toBe('{"id":9007199254740993,"m":1e400,"n":null}');
    expect(() => new JsonWriter().exact('x', 'Infinity')).toThrow(/not a JSON number/);
  });

  it('is deterministic by seed: same seed, same reorderings; another seed, others', async () => {
    const orders = async (seed: number) => {
      const sim = await baton({ seed: 5, contract: { modes: ['unstable-sort'], seed } });
      const out = [];
      for (let i = 0; i < 3; i++) out.push(ids((await tasks(sim, '?page_size=40')).json.results).join());
      return out;
    };
    const a = await orders(1);
    expect(await orders(1)).toEqual(a);
    expect(await orders(2)).not.toEqual(a);
  });

  it('accepts known names from a comma list and refuses unknown ones by name', () => {
    expect(parseContractModes('cap-page-size, count-low,,')).toEqual(['cap-page-size', 'count-low']);
    expect(() => parseContractModes(['cap-page-size', 'bogus'])).toThrow(/unknown contract mode 'bogus'/);
  });
});

describe('contract modes: Hellobaton', () => {
  it('well behaved by default; cap-page-size answers 25 per page, with count and next links right', async () => {
    const sim = await baton();
    const n = sim.records('tasks').length;
    const plain = await tasks(sim, '?page_size=100');
    expect(plain.json.results).toHaveLength(100);
    sim.setContract(['cap-page-size']);
    expect(sim.contract()).toEqual(['cap-page-size']);
    const capped = await tasks(sim, '?page_size=100');
    expect(capped.json.count).toBe(n);
    expect(capped.json.results).toHaveLength(25);
    expect(ids(capped.json.results)).toEqual(ids(plain.json.results).slice(0, 25));
    expect(capped.json.next).toContain('page=2');
    // The last page is where 25 per page puts it, not where 100 would.
    const last = await tasks(sim, `?page_size=100&page=${Math.ceil(n / 25)}`);
    expect(last.json.next).toBeNull();
    expect(ids(last.json.results)).toEqual(ids(sim.records('tasks')).slice(25 * (Math.ceil(n / 25) - 1)));
    sim.setContract(undefined);
    expect((await tasks(sim, '?page_size=100')).json.results).toHaveLength(100);
  });

  it('count-low and count-high misstate count while next stays right', async () => {
    const sim = await baton();
    const n = sim.records('tasks').length;
    sim.setContract(['count-low']);
    const low = await tasks(sim, '?page_size=100');
    expect(low.json.count).toBe(Math.floor(n / 2));
    const lastPage = Math.ceil(n / 100);
    expect((await tasks(sim, `?page_size=100&page=${lastPage - 1}`)).json.next).toContain(`page=${lastPage}`);
    sim.setContract(['count-high']);
    const high = await tasks(sim, `?page_size=100&page=${lastPage}`);
    expect(high.json.count).toBe(n + Math.ceil(n / 2));
    expect(high.json.next).toBeNull();
    expect((await tasks(sim, `?page_size=100&page=${lastPage + 1}`)).status).toBe(404);
  });

  it('empty-page: the 2nd list request (then every 5th) has no results but keeps count and next', async () => {
    const sim = await baton();
    sim.setContract(['empty-page']);
    const p1 = await tasks(sim, '?page_size=50');
    const p2 = await tasks(sim, '?page_size=50&page=2');
    const p2again = await tasks(sim, '?page_size=50&page=2');
    expect(p1.json.results).toHaveLength(50);
    expect(p2.json.results).toEqual([]);
    expect(p2.json.count).toBe(p1.json.count);
    expect(p2.json.next).toContain('page=3');
    expect(p2again.json.results).toHaveLength(50);
  });

  it('unstable-sort reorders blocks that straddle page boundaries on every request, keeping the set', async () => {
    const sim = await baton({ contract: { modes: ['unstable-sort'], seed: 7 } });
    const want = ids(sim.records('tasks')).slice(0, 40);
    const a = ids((await tasks(sim, '?page_size=40')).json.results);
    const b = ids((await tasks(sim, '?page_size=40')).json.results);
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(want);
    // Only the block straddling position 40 (35..44) can bring records in from the next page.
    expect(a.slice(0, 35).sort()).toEqual(want.slice(0, 35).sort());
    const page2 = ids((await tasks(sim, '?page_size=40&page=2')).json.results);
    const seen = new Set([...a, ...page2]);
    expect(seen.size, 'records seen twice or missed across the boundary').toBeLessThanOrEqual(80);
  });

  it('drift-delete: before each later page the front record goes, so offsets skip one', async () => {
    const sim = await baton();
    const before = ids(sim.records('tasks'));
    sim.setContract(['drift-delete']);
    const p1 = await tasks(sim, '?page_size=20');
    const p2 = await tasks(sim, '?page_size=20&page=2');
    expect(ids(p1.json.results)).toEqual(before.slice(0, 20));
    expect(p2.json.count).toBe(before.length - 1);
    expect(ids(p2.json.results)).toEqual(before.slice(21, 41)); // record 21 was skipped by the reader
    expect(ids(sim.records('tasks'))).not.toContain(before[0]);
    // The detail endpoint honours the delete.
    expect((await get(withKey(`${sim.baseUrl}tasks/${before[0]}/`))).status).toBe(404);
    expect((await get(withKey(`${sim.baseUrl}tasks/${before[1]}/`))).status).toBe(200);
  });

  it('drift-insert and drift-balanced: a new record at the front; balanced keeps the count', async () => {
    const sim = await baton();
    const before = ids(sim.records('tasks'));
    sim.setContract(['drift-insert']);
    await tasks(sim, '?page_size=20');
    const p2 = await tasks(sim, '?page_size=20&page=2');
    expect(p2.json.count).toBe(before.length + 1);
    expect(ids(p2.json.results)).toEqual(before.slice(19, 39)); // record 20 is read twice
    const now = ids(sim.records('tasks'));
    expect(now[0]).toBe(String(before.length + 1));
    expect((await get(withKey(`${sim.baseUrl}tasks/${now[0]}/`))).status).toBe(200);

    sim.setContract(['drift-balanced']);
    const q1 = await tasks(sim, '?page_size=20');
    const q2 = await tasks(sim, '?page_size=20&page=2');
    expect(q2.json.count).toBe(q1.json.count);
    expect(ids(sim.records('tasks'))).not.toContain(now[0]);
    // Back to well behaved: the inserted records stay at the front, the list holds still.
    sim.setContract([]);
    const r1 = await tasks(sim, '?page_size=20');
    expect(ids(r1.json.results)).toEqual(ids(sim.records('tasks')).slice(0, 20));
  });

  it('big-ids: ids past 2^53 with exact digits in the body, the detail endpoint and records()', async () => {
    const sim = await baton({ contract: ['big-ids'] });
    const page = await tasks(sim, '?page_size=5');
    const first = `${BIG_ID_BASE + 1n}`;
    expect(page.text).toContain(`{"id":${first},`);
    expect(page.text).toContain(`"legacyNumber":${first}`);
    expect(page.text).toContain(`/api/tasks/${first}/`);
    // 2^53 + 1 and 2^53 + 2 both exist; as doubles they would collide with their neighbours.
    expect(page.text).toContain(`{"id":${BIG_ID_BASE + 2n},`);
    const [r] = sim.records('tasks');
    expect(r!.id).toBe(BIG_ID_BASE + 1n);
    expect((await get(withKey(`${sim.baseUrl}tasks/${first}/`))).text).toContain(`{"id":${first},`);
    expect((await get(withKey(`${sim.baseUrl}tasks/1/`))).status).toBe(404);
    const { deleted } = sim.mutate({ deletes: 1 });
    expect(typeof deleted[0]).toBe('string');
    expect((await get(withKey(`${sim.baseUrl}tasks/${deleted[0]}/`))).status).toBe(404);
    expect(() => sim.setContract(['huge-numbers'])).toThrow(/fixed when the simulator starts/);
    sim.setContract(['cap-page-size']);
    expect(sim.contract()).toEqual(['cap-page-size', 'big-ids']);
    expect((await tasks(sim, '?page_size=100')).json.results).toHaveLength(25);
  });

  it('huge-numbers and colliding-names add their fields, exact, to every record', async () => {
    const sim = await baton({ contract: ['huge-numbers', 'colliding-names'] });
    const page = await tasks(sim, '?page_size=4');
    expect(page.text).toContain('"magnitude":1e400');
    expect(page.text).toContain('"magnitude":-3e999');
    expect(page.text).toContain('"fooBar":"camel-0","foo_bar":"snake-0","a":{"b":"nested-0"},"a_b":"flat-0"');
    const [r] = sim.records('tasks');
    expect(String(r!.magnitude)).toBe('1e400');
    expect(r).toMatchObject({ fooBar: 'camel-0', foo_bar: 'snake-0', a: { b: 'nested-0' }, a_b: 'flat-0' });
  });

  it('onListRequest runs a hook before each list request, counted per stream', async () => {
    const sim = await baton();
    const calls: string[] = [];
    sim.onListRequest((stream, n) => {
      calls.push(`${stream}#${n}`);
      if (n === 2) sim.mutate({ stream, deletes: 1, seed: 1 });
    });
    const before = sim.records('tasks').length;
    await tasks(sim, '?page_size=10');
    await tasks(sim, '?page_size=10&page=2');
    await get(withKey(`${sim.baseUrl}tasks/3/`)); // a detail request is not a list request
    expect(calls).toEqual(['tasks#1', 'tasks#2']);
    expect(sim.records('tasks')).toHaveLength(before - 1);
    sim.onListRequest(undefined);
    await tasks(sim);
    expect(calls).toHaveLength(2);
  });
});

describe('contract modes: Humaans', () => {
  const incremental = '?$limit=250&$sort[updatedAt]=1&updatedAt[$gte]=2000-01-01T00:00:00.000Z';

  it('cap-page-size answers at most 100 whatever $limit asks, and says so in limit', async () => {
    const sim = await humaans({ contract: ['cap-page-size'] });
    const r = await docs(sim, incremental);
    expect(r.json.data).toHaveLength(100);
    expect(r.json.limit).toBe(100);
    expect(r.json.total).toBe(400);
  });

  it('count-low / count-high misstate total', async () => {
    const sim = await humaans({ contract: ['count-low'] });
    expect((await docs(sim, incremental)).json.total).toBe(200);
    sim.setContract(['count-high']);
    expect((await docs(sim, incremental)).json.total).toBe(600);
  });

  it('empty-page: an empty data array mid-list, total kept', async () => {
    const sim = await humaans({ contract: ['empty-page'] });
    await docs(sim, '?$limit=100');
    const r = await docs(sim, '?$limit=100&$skip=100');
    expect(r.json.data).toEqual([]);
    expect(r.json.total).toBe(400);
  });

  it('ignore-sort serves creation order; ignore-filter serves records below the bound', async () => {
    const sim = await humaans();
    const byCreation = ids((await docs(sim, '?$limit=250')).json.data);
    const desc = ids((await docs(sim, '?$limit=250&$sort[updatedAt]=-1')).json.data);
    expect(desc).not.toEqual(byCreation);
    sim.setContract(['ignore-sort']);
    expect(ids((await docs(sim, '?$limit=250&$sort[updatedAt]=-1')).json.data)).toEqual(byCreation);
    sim.setContract(['ignore-filter']);
    const future = await docs(sim, '?$limit=10&$sort[updatedAt]=1&updatedAt[$gte]=2099-01-01T00:00:00.000Z');
    expect(future.json.total).toBe(400);
    expect(future.json.data).toHaveLength(10);
  });

  it('tied-timestamps + unstable-sort: ties reordered per request, the tie-breaker ignored', async () => {
    const sim = await humaans({ contract: ['tied-timestamps'] });
    const stamps = sim.records('documents').map((r) => String(r.updatedAt));
    expect(new Set(stamps).size).toBeLessThan(stamps.length / 2);
    // Changed records tie too: an incremental read after changes meets ties.
    const { updated } = sim.mutate({ updates: 10 });
    const changed = sim.records('documents').filter((r) => (updated as string[]).includes(String(r.id)));
    expect(new Set(changed.map((r) => r.updatedAt)).size).toBe(2);
    const q = '?$limit=250&$sort[updatedAt]=1&$sort[id]=1';
    const stable = ids((await docs(sim, q)).json.data);
    expect(ids((await docs(sim, q)).json.data)).toEqual(stable);
    sim.setContract(['tied-timestamps', 'unstable-sort']);
    const a = (await docs(sim, q)).json.data;
    const b = (await docs(sim, q)).json.data;
    expect(ids(a)).not.toEqual(ids(b));
    // Still sorted by updatedAt: only ties move.
    // biome-ignore lint/suspicious/noExplicitAny: records from JSON
    const u = a.map((r: any) => r.updatedAt);
    expect(u).toEqual([...u].sort());
    expect([...ids(a)].sort()).toEqual([...stable].sort());
  });

  it('drift-delete / drift-insert shift the keyset query under a reader paging by $skip', async () => {
    const sim = await humaans();
    const q = '?$limit=50&$sort[updatedAt]=1&updatedAt[$gte]=2000-01-01T00:00:00.000Z';
    const before = ids((await docs(sim, `${q.replace('$limit=50', '$limit=250')}`)).json.data);
    sim.setContract(['drift-delete']);
    await docs(sim, q);
    const p2 = await docs(sim, `${q}&$skip=50`);
    expect(p2.json.total).toBe(399);
    expect(ids(p2.json.data)[0]).toBe(before[51]);
    expect((await humaansGet(`${sim.baseUrl}/documents/${before[0]}`)).status).toBe(404);

    sim.setContract(['drift-insert']);
    const head = ids((await docs(sim, q)).json.data)[0];
    const r2 = await docs(sim, `${q}&$skip=50`);
    expect(r2.json.total).toBe(400);
    const front = ids((await docs(sim, q)).json.data);
    expect(front[0]).not.toBe(head);
    expect(front[1]).not.toBe(head); // two requests since: two inserted at the front
    expect(front[2]).toBe(head);
    expect((await humaansGet(`${sim.baseUrl}/documents/${front[0]}`)).status).toBe(200);
    // Well behaved again, the list still answers correctly (by scanning) with the inserted records in it.
    sim.setContract(undefined);
    const all = ids((await docs(sim, '?$limit=250&$sort[updatedAt]=1')).json.data);
    expect(all.slice(0, 3)).toEqual(front.slice(0, 3));
  });

  it('big-ids, huge-numbers and colliding-names: exact digits in the body and in records()', async () => {
    const sim = await humaans({ contract: ['big-ids', 'huge-numbers', 'colliding-names'] });
    const r = await docs(sim, '?$limit=4');
    expect(r.text).toContain(`"legacyNumber":${BIG_ID_BASE + 1n}`);
    expect(r.text).toContain('"magnitude":1e400');
    expect(r.text).toContain('"fooBar":"camel-0","foo_bar":"snake-0"');
    const [first] = sim.records('documents');
    expect(first!.legacyNumber).toBe(BIG_ID_BASE + 1n);
    const detail = await humaansGet(`${sim.baseUrl}/documents/${first!.id}`);
    expect(detail.text).toContain('"a":{"b":"nested-0"},"a_b":"flat-0"');
  });
});
