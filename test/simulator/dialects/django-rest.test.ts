/**
 * The Django REST framework dialect on its own: two small endpoints built from nothing but data (no
 * connector), served over real HTTP, checked for page-number paging, the envelope and its links, relation
 * filters, redirects, errors and contract deviations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractPlan } from '../../../src/simulator/contract.js';
import { pageLink, pageSize, resolvePage } from '../../../src/simulator/dialects/django-rest-pagination.js';
import {
  DrfCollection,
  type DrfResourceDef,
  djangoRestDialect,
  ORIGIN,
} from '../../../src/simulator/dialects/django-rest.js';
import { MutationClock } from '../../../src/simulator/mutation-clock.js';
import { SimulatorServer } from '../../../src/simulator/server.js';
import { isoMicros } from '../../../src/simulator/timestamps.js';
import { get, type Reply } from '../../helpers/simulator.js';

const OWNERS = 3;
const THINGS = 95;
const history = { epochMs: Date.UTC(2024, 0, 1), spanMs: 50 * 86_400_000, unitMs: 1 };

const owners: DrfResourceDef<null> = {
  name: 'owners',
  hasModified: false,
  record: (i) => JSON.stringify({ id: i + 1, name: `owner ${i + 1}` }),
  touch: (record) => {
    record.name = 'renamed';
  },
};
const things: DrfResourceDef<null> = {
  name: 'things',
  hasModified: true,
  record: (i, stamps) =>
    JSON.stringify({
      id: i + 1,
      owner: `${ORIGIN}/api/owners/${(i % OWNERS) + 1}/`,
      created: isoMicros(stamps.created, 0),
      modified: isoMicros(stamps.modified, 0),
    }),
  touch: () => {},
};

let server: SimulatorServer;
let contract: ContractPlan;
let origin: string;

beforeAll(async () => {
  contract = new ContractPlan(undefined, 3);
  const make = (def: DrfResourceDef<null>, size: number) =>
    new DrfCollection(def, { seed: 3, size, ctx: null, history, prefix: 'api' });
  const collections = new Map([
    ['owners', make(owners, OWNERS)],
    ['things', make(things, THINGS)],
  ]);
  server = await SimulatorServer.start(
    djangoRestDialect({
      prefix: 'api',
      collections,
      reserved: ['token'],
      pageSizeMax: 40,
      contract,
      clock: new MutationClock(Math.max(...[...collections.values()].map((c) => c.generatedUntil)) + 1),
      authenticate: (req) => {
        const t = req.query.last.token;
        if (t === 'good') return { credential: t };
        return t === 'read-only' ? { status: 403 } : { status: 401 };
      },
    }),
    { seed: 3 },
  );
  origin = server.origin;
});
afterAll(() => server.close());

const list = (query = '', path = 'things'): Promise<Reply> =>
  get(`${origin}/api/${path}/?token=good${query}`);
// biome-ignore lint/suspicious/noExplicitAny: records from JSON
type Row = any;

describe('Django REST dialect: page-number paging and envelope', () => {
  it('answers {count, next, previous, results}, 100 per page capped at max_page_size', async () => {
    const r = await list();
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(['count', 'next', 'previous', 'results']);
    expect(r.json.count).toBe(THINGS);
    expect(r.json.results).toHaveLength(40);
    expect(r.json.previous).toBeNull();
    expect(r.json.next).toBe(`${origin}/api/things/?page=2&token=good`);
  });

  it('following next visits every record once, in id order; previous of page 2 drops `page`', async () => {
    let url: string | null = `${origin}/api/things/?token=good&page_size=30`;
    const seen: number[] = [];
    const pages: Reply[] = [];
    while (url) {
      const r = await get(url);
      pages.push(r);
      seen.push(...r.json.results.map((t: Row) => t.id));
      url = r.json.next;
    }
    expect(seen).toEqual(Array.from({ length: THINGS }, (_, i) => i + 1));
    expect(pages).toHaveLength(4);
    expect(pages[1]!.json.previous).toBe(`${origin}/api/things/?page_size=30&token=good`);
    expect(pages[3]!.json.previous).toBe(`${origin}/api/things/?page=3&page_size=30&token=good`);
    const last = await list('&page_size=30&page=last');
    expect(last.json.results.map((t: Row) => t.id)).toEqual([91, 92, 93, 94, 95]);
    const beyond = await list('&page=9');
    expect(beyond.status).toBe(404);
    expect(beyond.json).toEqual({ detail: 'Invalid page.' });
  });

  it('links and relations point at the host the client dialled', async () => {
    const r = await get(`${origin}/api/things/?token=good&page_size=2`, { host: 'example.test:8000' });
    expect(r.json.next).toBe('http://example.test:8000/api/things/?page=2&page_size=2&token=good');
    expect(r.json.results[0].owner).toBe('http://example.test:8000/api/owners/1/');
  });

  it('filters by the id a relation points at; credentials and paging are not filters', async () => {
    const r = await list('&owner=2&page_size=40');
    expect(r.json.count).toBe(Math.floor(THINGS / OWNERS) + (THINGS % OWNERS >= 2 ? 1 : 0));
    expect(r.json.results.every((t: Row) => t.owner.endsWith('/api/owners/2/'))).toBe(true);
    expect(r.json.next).toBeNull();
  });

  it('page_size that is zero, negative or not a number falls back to the default', () => {
    expect(pageSize(undefined, 40)).toBe(40);
    expect(pageSize('0', 40)).toBe(40);
    expect(pageSize('-3', 500)).toBe(100);
    expect(pageSize('abc', 500)).toBe(100);
    expect(pageSize('7', 40)).toBe(7);
    expect(resolvePage('last', 4)).toBe(4);
    expect(resolvePage('0', 4)).toBeUndefined();
    expect(pageLink('http://h/api/x/', { z: '1', a: '2', page: '3' }, undefined)).toBe(
      'http://h/api/x/?a=2&z=1',
    );
  });
});

describe('Django REST dialect: routes and errors', () => {
  it('redirects to the slashed path, lists endpoints at the root, and answers DRF errors', async () => {
    const redirect = await get(`${origin}/api/things?token=good&page=2`);
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('/api/things/?token=good&page=2');
    const root = await get(`${origin}/api/?token=good`);
    expect(root.json).toEqual({ owners: `${origin}/api/owners/`, things: `${origin}/api/things/` });
    expect((await get(`${origin}/api/things/7/?token=good`)).json.id).toBe(7);
    expect((await get(`${origin}/api/things/999/?token=good`)).json).toEqual({ detail: 'Not found.' });
    const unauth = await get(`${origin}/api/things/`);
    expect(unauth.status).toBe(401);
    expect(unauth.json).toEqual({ detail: 'Invalid API key.' });
    expect((await get(`${origin}/api/things/?token=read-only`)).status).toBe(403);
    expect((await get(`${origin}/api/gadgets/?token=good`)).status).toBe(404);
  });
});

describe('Django REST dialect: contract deviations', () => {
  it('cap-page-size serves 25 a page with next links that still cover everything; count-high overstates', async () => {
    contract.set(['cap-page-size']);
    const capped = await list('&page_size=40');
    expect(capped.json.results).toHaveLength(25);
    expect(capped.json.count).toBe(THINGS);
    contract.set(['count-high']);
    expect((await list()).json.count).toBe(THINGS + Math.ceil(THINGS / 2));
    contract.set(['empty-page']);
    const pages = [await list('&page_size=10'), await list('&page_size=10&page=2')];
    expect(pages[0]!.json.results).toHaveLength(10);
    expect(pages[1]!.json.results).toHaveLength(0);
    expect(pages[1]!.json.next).not.toBeNull();
    contract.set(undefined);
    expect((await list('&page_size=40')).json.results).toHaveLength(40);
  });
});
