/**
 * The Feathers dialect on its own: a small service built from nothing but data (no connector), served over
 * real HTTP, checked for Feathers paging, the envelope, filters, sorting, errors and contract deviations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractPlan } from '../../../src/simulator/contract.js';
import { parseFeathersQuery } from '../../../src/simulator/dialects/feathers-query.js';
import {
  FeathersCollection,
  type FeathersResourceDef,
  feathersDialect,
  feathersJson,
} from '../../../src/simulator/dialects/feathers.js';
import { JsonWriter } from '../../../src/simulator/json-writer.js';
import { MutationClock } from '../../../src/simulator/mutation-clock.js';
import { OpaqueIds } from '../../../src/simulator/opaque-id.js';
import { parseQuery } from '../../../src/simulator/query.js';
import { SimulatorServer } from '../../../src/simulator/server.js';
import { isoMillis } from '../../../src/simulator/timestamps.js';
import { get, type Reply } from '../../helpers/simulator.js';

const COLOURS = ['red', 'green', 'blue'];
const SIZE = 200;
const TOKEN = 'widget-token';

const widgets: FeathersResourceDef<OpaqueIds> = {
  name: 'widgets',
  path: 'widgets',
  record: (i, createdAt, updatedAt, ids) =>
    new JsonWriter()
      .str('id', ids.id(i))
      .str('colour', COLOURS[i % 3]!)
      .num('rank', (i * 7) % 10)
      .str('createdAt', isoMillis(createdAt))
      .str('updatedAt', isoMillis(updatedAt))
      .end(),
  touch: (record) => {
    record.colour = 'purple';
  },
};

let server: SimulatorServer;
let contract: ContractPlan;
let base: string;
const ids = new OpaqueIds(5, 77);

beforeAll(async () => {
  contract = new ContractPlan(undefined, 5);
  const col = new FeathersCollection(widgets, {
    seed: 5,
    size: SIZE,
    ctx: ids,
    ids,
    history: { epochMs: Date.UTC(2025, 0, 1), spanMs: 100 * 86_400_000, unitMs: 1000 },
  });
  server = await SimulatorServer.start(
    feathersDialect({
      prefix: 'v1',
      services: new Map([['widgets', col]]),
      authenticate: (req) => (req.headers.authorization === `Bearer ${TOKEN}` ? TOKEN : undefined),
      paginate: { default: 10, max: 150 },
      contract,
      clock: new MutationClock(col.generatedUntil + 1),
      extra: { status: () => feathersJson(200, '{"ok":true}') },
    }),
    { seed: 5 },
  );
  base = `${server.origin}/v1`;
});
afterAll(() => server.close());

const list = (query = ''): Promise<Reply> =>
  get(`${base}/widgets${query}`, { authorization: `Bearer ${TOKEN}` });
// biome-ignore lint/suspicious/noExplicitAny: records from JSON
type Row = any;

describe('Feathers dialect: paging and envelope', () => {
  it('answers {total, limit, skip, data} with the default page size, oldest first', async () => {
    const r = await list();
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(['total', 'limit', 'skip', 'data']);
    expect(r.json).toMatchObject({ total: SIZE, limit: 10, skip: 0 });
    expect(r.json.data.map((w: Row) => w.id)).toEqual(Array.from({ length: 10 }, (_, i) => ids.id(i)));
  });

  it('$skip and $limit page through every record exactly once; $limit is capped at paginate.max', async () => {
    const seen: string[] = [];
    for (let skip = 0; skip < SIZE; skip += 64) {
      const r = await list(`?$limit=64&$skip=${skip}`);
      expect(r.json).toMatchObject({ total: SIZE, limit: 64, skip });
      seen.push(...r.json.data.map((w: Row) => w.id));
    }
    expect(seen).toEqual(Array.from({ length: SIZE }, (_, i) => ids.id(i)));
    const capped = await list('?$limit=1000');
    expect(capped.json.limit).toBe(150);
    expect(capped.json.data).toHaveLength(150);
    const none = await list('?$limit=0');
    expect(none.json).toMatchObject({ total: SIZE, limit: 0, data: [] });
  });

  it('sorts by $sort keys in order, and filters by value, $in and ranges', async () => {
    const sorted = (await list('?$limit=150&$sort[rank]=-1&$sort[colour]=1')).json.data as Row[];
    for (let i = 1; i < sorted.length; i++) {
      const [a, b] = [sorted[i - 1], sorted[i]];
      expect(a.rank > b.rank || (a.rank === b.rank && a.colour <= b.colour)).toBe(true);
    }
    const red = await list('?colour=red&$limit=150');
    expect(red.json.total).toBe(Math.ceil(SIZE / 3));
    expect(red.json.data.every((w: Row) => w.colour === 'red')).toBe(true);
    const either = await list('?colour[$in][]=red&colour[$in][]=blue&rank[$gte]=5&$limit=150');
    expect(either.json.data.length).toBeGreaterThan(0);
    expect(either.json.data.every((w: Row) => w.colour !== 'green' && w.rank >= 5)).toBe(true);
    expect(either.json.total).toBe(either.json.data.length);
  });

  it('answers an incremental read (updatedAt range, sorted by it) like a scan would', async () => {
    const all = (await list('?$limit=150&$sort[updatedAt]=1')).json.data as Row[];
    const from = all[100].updatedAt as string;
    const r = await list(`?updatedAt[$gte]=${encodeURIComponent(from)}&$sort[updatedAt]=1&$limit=150`);
    const everything = [...all, ...(await list('?$limit=150&$skip=150&$sort[updatedAt]=1')).json.data];
    const expected = everything.filter((w) => Date.parse(w.updatedAt) >= Date.parse(from));
    expect(r.json.total).toBe(expected.length);
    expect(r.json.data.map((w: Row) => w.id)).toEqual(expected.map((w) => w.id));
  });
});

describe('Feathers dialect: routes and errors', () => {
  it('serves a record by id, its own routes, and Feathers errors', async () => {
    const one = await get(`${base}/widgets/${ids.id(3)}`, { authorization: `Bearer ${TOKEN}` });
    expect(one.json.id).toBe(ids.id(3));
    expect((await get(`${base}/status`, { authorization: `Bearer ${TOKEN}` })).json).toEqual({ ok: true });
    const unauth = await get(`${base}/widgets`);
    expect(unauth.status).toBe(401);
    expect(unauth.json).toMatchObject({
      name: 'NotAuthenticated',
      code: 401,
      className: 'not-authenticated',
    });
    const missing = await get(`${base}/gadgets`, { authorization: `Bearer ${TOKEN}` });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ name: 'NotFound', data: { url: '/v1/gadgets' } });
    const badSort = await list('?$sort[rank]=2');
    expect(badSort.status).toBe(400);
    expect(badSort.json).toMatchObject({
      name: 'BadRequest',
      message: "Invalid sort direction '2' for rank",
    });
    expect((await list('?updatedAt[$gt]=yesterday')).status).toBe(400);
    expect((await list('?$where=1')).status).toBe(400);
  });

  it('parses every form of $in into one list and keeps the last $sort for a field', () => {
    const q = parseFeathersQuery(
      parseQuery('?a[$in]=1&a[$in][]=2&a[$in][0]=3&$sort[x]=1&$sort[y]=-1&$sort[x]=-1&$limit=9'),
      { default: 5, max: 8 },
    );
    expect(q).toEqual({
      limit: 8,
      skip: 0,
      filters: [{ field: 'a', op: '$in', values: ['1', '2', '3'] }],
      sort: [
        { field: 'y', dir: -1 },
        { field: 'x', dir: -1 },
      ],
    });
  });
});

describe('Feathers dialect: contract deviations', () => {
  it('cap-page-size caps $limit at 100 and says so; count-low halves total', async () => {
    contract.set(['cap-page-size']);
    const capped = await list('?$limit=150');
    expect(capped.json.limit).toBe(100);
    expect(capped.json.data).toHaveLength(100);
    contract.set(['count-low']);
    const low = await list('?$limit=5');
    expect(low.json.total).toBe(SIZE / 2);
    expect(low.json.data).toHaveLength(5);
    contract.set(['ignore-sort']);
    const unsorted = await list('?$limit=5&$sort[rank]=-1');
    expect(unsorted.json.data.map((w: Row) => w.id)).toEqual(Array.from({ length: 5 }, (_, i) => ids.id(i)));
    contract.set(undefined);
    expect((await list('?$limit=150')).json.limit).toBe(150);
  });
});
