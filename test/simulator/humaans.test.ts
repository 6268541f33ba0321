import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import { Rng } from '../../src/simulator/prng.js';
import type { SimulatorHandle } from '../../src/simulator/types.js';
import { HUMAANS_TOKEN, humaansGet } from '../helpers/simulator.js';

type Rec = Record<string, unknown>;

describe('Humaans simulator: reading', () => {
  let sim: SimulatorHandle;
  beforeAll(async () => {
    sim = await startHumaansSimulator({ records: 1000 });
  });
  afterAll(() => sim.close());

  it('listens on loopback with an /api base URL', () => {
    expect(sim.baseUrl).toBe(`http://127.0.0.1:${sim.port}/api`);
    expect(sim.streams().sort()).toEqual([
      'companies',
      'documents',
      'job_roles',
      'locations',
      'people',
      'time_away',
    ]);
  });

  it('sizes every resource from `records`', async () => {
    const expected: Record<string, number> = {
      documents: 1000,
      people: 100,
      time_away: 200,
      job_roles: 20,
      locations: 5,
      companies: 3,
    };
    const paths: Record<string, string> = { job_roles: 'job-roles', time_away: 'time-away' };
    for (const [stream, n] of Object.entries(expected)) {
      const r = await humaansGet(`${sim.baseUrl}/${paths[stream] ?? stream}?$limit=1`);
      expect(r.status, stream).toBe(200);
      expect(r.json.total, stream).toBe(n);
      expect(sim.records(stream)).toHaveLength(n);
    }
  });

  it('pages with $limit/$skip in the Feathers envelope, default 100, in createdAt order', async () => {
    const first = await humaansGet(`${sim.baseUrl}/documents`);
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(first.json)).toEqual(['total', 'limit', 'skip', 'data']);
    expect(first.json).toMatchObject({ total: 1000, limit: 100, skip: 0 });
    expect(first.json.data).toHaveLength(100);

    const all: Rec[] = [];
    for (let skip = 0; ; skip += 250) {
      const r = await humaansGet(`${sim.baseUrl}/documents?$limit=250&$skip=${skip}`);
      all.push(...r.json.data);
      if (r.json.data.length < 250) break;
    }
    expect(all).toEqual(sim.records('documents'));
    expect(new Set(all.map((d) => d.id)).size).toBe(1000);
    const created = all.map((d) => d.createdAt as string);
    expect([...created].sort()).toEqual(created);
  });

  it('answers an exact multiple of the page size with a final empty page', async () => {
    const r = await humaansGet(`${sim.baseUrl}/documents?$limit=250&$skip=1000`);
    expect(r.json).toEqual({ total: 1000, limit: 250, skip: 1000, data: [] });
  });

  it('clamps $limit to [0, 250] and ignores garbage', async () => {
    expect((await humaansGet(`${sim.baseUrl}/documents?$limit=1000`)).json.limit).toBe(250);
    expect((await humaansGet(`${sim.baseUrl}/documents?$limit=1000`)).json.data).toHaveLength(250);
    const zero = await humaansGet(`${sim.baseUrl}/documents?$limit=0`);
    expect(zero.json).toMatchObject({ total: 1000, limit: 0, data: [] });
    expect((await humaansGet(`${sim.baseUrl}/documents?$limit=-5`)).json.limit).toBe(0);
    expect((await humaansGet(`${sim.baseUrl}/documents?$limit=abc`)).json.limit).toBe(100);
    expect((await humaansGet(`${sim.baseUrl}/documents?$skip=-3`)).json.skip).toBe(0);
  });

  it('accepts %24 and bracket-encoded parameter names', async () => {
    const literal = await humaansGet(`${sim.baseUrl}/documents?$limit=7&$skip=13`);
    const encoded = await humaansGet(`${sim.baseUrl}/documents?%24limit=7&%24skip=13`);
    expect(encoded.json).toEqual(literal.json);
    const since = sim.records('documents')[500].updatedAt as string;
    const a = await humaansGet(`${sim.baseUrl}/documents?updatedAt[$gte]=${since}&$sort[updatedAt]=1`);
    const b = await humaansGet(
      `${sim.baseUrl}/documents?updatedAt%5B%24gte%5D=${encodeURIComponent(since)}&%24sort%5BupdatedAt%5D=1`,
    );
    expect(b.json).toEqual(a.json);
    expect(a.json.total).toBe(500);
  });

  it('filters and sorts like a brute-force reference, on fast and slow paths alike', async () => {
    const docs = sim.records('documents');
    const stamps = docs.map((d) => d.updatedAt as string).sort();
    const rng = new Rng(1);
    const ops = ['$gt', '$gte', '$lt', '$lte'] as const;
    const cmp = {
      $gt: (a: string, b: string) => a > b,
      $gte: (a: string, b: string) => a >= b,
      $lt: (a: string, b: string) => a < b,
      $lte: (a: string, b: string) => a <= b,
    };
    for (let round = 0; round < 25; round++) {
      const field = rng.pick(['updatedAt', 'createdAt']);
      const filters = Array.from({ length: rng.int(3) }, () => ({
        op: rng.pick(ops),
        value: rng.pick(stamps),
      }));
      const dir = rng.pick([1, -1]);
      const sortField = rng.pick([field, field, 'name']);
      const qs = [
        ...filters.map((f) => `${field}[${f.op}]=${f.value}`),
        `$sort[${sortField}]=${dir}`,
        `$limit=${1 + rng.int(60)}`,
        `$skip=${rng.int(40)}`,
      ].join('&');
      const r = await humaansGet(`${sim.baseUrl}/documents?${qs}`);
      const expected = docs
        .filter((d) => filters.every((f) => cmp[f.op](d[field] as string, f.value)))
        .map((d, i) => ({ d, i }))
        .sort((x, y) => {
          const a = x.d[sortField] as string;
          const b = y.d[sortField] as string;
          return (a < b ? -1 : a > b ? 1 : 0) * dir || x.i - y.i;
        })
        .map((x) => x.d);
      expect(r.json.total, qs).toBe(expected.length);
      expect(r.json.data, qs).toEqual(expected.slice(r.json.skip, r.json.skip + r.json.limit));
    }
  });

  it('compares timestamps as instants, whatever their offset', async () => {
    const doc = sim.records('documents')[10];
    const t = new Date(doc.updatedAt as string);
    const offset = new Date(t.getTime() + 2 * 3600_000).toISOString().replace('Z', '+02:00');
    const r = await humaansGet(
      `${sim.baseUrl}/documents?updatedAt[$gte]=${encodeURIComponent(offset)}&$sort[updatedAt]=1&$limit=1`,
    );
    expect(r.json.data[0].id).toBe(doc.id);
  });

  it('supports equality, $in, $nin and $ne filters', async () => {
    const docs = sim.records('documents');
    const person = docs[0].personId as string;
    const eq = await humaansGet(`${sim.baseUrl}/documents?personId=${person}&$limit=250`);
    expect(eq.json.total).toBe(docs.filter((d) => d.personId === person).length);
    expect(eq.json.data.every((d: Rec) => d.personId === person)).toBe(true);

    const ids = [docs[3].id, docs[7].id, docs[900].id];
    const forms = [
      ids.map((id) => `id[$in]=${id}`).join('&'),
      ids.map((id) => `id[$in][]=${id}`).join('&'),
      ids.map((id, i) => `id%5B%24in%5D%5B${i}%5D=${id}`).join('&'),
    ];
    for (const f of forms) {
      const r = await humaansGet(`${sim.baseUrl}/documents?${f}`);
      expect(
        r.json.data.map((d: Rec) => d.id),
        f,
      ).toEqual(ids);
    }
    const nin = await humaansGet(
      `${sim.baseUrl}/documents?${ids.map((id) => `id[$nin]=${id}`).join('&')}&$limit=0`,
    );
    expect(nin.json.total).toBe(997);
    const ne = await humaansGet(`${sim.baseUrl}/documents?type[$ne]=contract&$limit=0`);
    expect(ne.json.total).toBe(docs.filter((d) => d.type !== 'contract').length);
    // Unknown fields are ignored like any unknown parameter.
    expect((await humaansGet(`${sim.baseUrl}/documents?noSuchField=1&$limit=0`)).json.total).toBe(1000);
  });

  it('answers bad queries with a Feathers 400', async () => {
    const r = await humaansGet(`${sim.baseUrl}/documents?updatedAt[$gte]=yesterday`);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ name: 'BadRequest', code: 400, className: 'bad-request' });
    expect((await humaansGet(`${sim.baseUrl}/documents?$sort[updatedAt]=up`)).status).toBe(400);
    expect((await humaansGet(`${sim.baseUrl}/documents?name[$regex]=x`)).status).toBe(400);
  });

  it('requires the bearer token', async () => {
    const body = {
      name: 'NotAuthenticated',
      message: 'Invalid authentication information',
      code: 401,
      className: 'not-authenticated',
      errors: {},
    };
    const none = await humaansGet(`${sim.baseUrl}/documents`, '');
    expect(none.status).toBe(401);
    expect(none.text).toBe(JSON.stringify(body));
    expect((await humaansGet(`${sim.baseUrl}/documents`, 'wrong')).status).toBe(401);
    const lower = await fetch(`${sim.baseUrl}/companies`, {
      headers: { authorization: `bearer ${HUMAANS_TOKEN}` },
    });
    expect(lower.status).toBe(200);
    await lower.arrayBuffer();
  });

  it('serves single records, /me and /token-info, and Feathers 404s', async () => {
    const doc = sim.records('documents')[42];
    const one = await humaansGet(`${sim.baseUrl}/documents/${doc.id}`);
    expect(one.json).toEqual(doc);
    const missing = await humaansGet(`${sim.baseUrl}/documents/nope`);
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ name: 'NotFound', code: 404, className: 'not-found' });
    const me = await humaansGet(`${sim.baseUrl}/me`);
    expect(me.json).toEqual(sim.records('people')[0]);
    const info = await humaansGet(`${sim.baseUrl}/token-info`);
    expect(info.json.personId).toBe(me.json.id);
    expect(info.json.scopes).toContain('documents:read');
    const route = await humaansGet(`${sim.baseUrl}/unknown-things`);
    expect(route.status).toBe(404);
    expect(route.json.message).toBe('Page not found');
    expect((await humaansGet(`http://127.0.0.1:${sim.port}/elsewhere`)).status).toBe(404);
  });

  it('serves real Humaans shapes plus the Fivetran example fields', () => {
    const docs = sim.records('documents');
    for (const d of docs.slice(0, 50)) {
      expect(d.id).toMatch(/^[0-9A-Za-z]{24}$/);
      expect(d.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect((d.updatedAt as string) >= (d.createdAt as string)).toBe(true);
      expect(Date.parse(d.updatedAt as string)).toBeLessThan(Date.now());
    }
    // The example's fields come present, null and missing.
    for (const field of ['description', 'type', 'fileSize', 'expiryDate', 'tags']) {
      expect(
        docs.some((d) => d[field] !== undefined && d[field] !== null),
        field,
      ).toBe(true);
      expect(
        docs.some((d) => !(field in d)),
        field,
      ).toBe(true);
    }
    expect(docs.some((d) => d.description === null)).toBe(true);
    const companies = sim.records('companies');
    expect(companies.filter((c) => c.address === null)).toHaveLength(1);
    expect(companies.some((c) => typeof (c.address as Rec | null)?.postalCode === 'string')).toBe(true);
    const roles = sim.records('job_roles');
    expect(roles.filter((r) => r.salaryRange === null)).toHaveLength(1);
    expect(roles.some((r) => typeof (r.salaryRange as Rec | null)?.currency === 'string')).toBe(true);
    for (const r of roles)
      for (const k of ['requirements', 'responsibilities', 'benefits'])
        expect(Array.isArray(r[k])).toBe(true);
  });

  it('links records to people that exist', () => {
    const people = new Set(sim.records('people').map((p) => p.id));
    for (const d of sim.records('documents')) expect(people.has(d.personId)).toBe(true);
    for (const t of sim.records('time_away')) expect(people.has(t.personId)).toBe(true);
  });

  it('logs requests and counts list requests per stream', async () => {
    sim.resetStats();
    await humaansGet(`${sim.baseUrl}/documents?$limit=1`);
    await humaansGet(`${sim.baseUrl}/job-roles?%24limit=1`);
    await humaansGet(`${sim.baseUrl}/documents/${sim.records('documents')[0].id}`);
    expect(sim.requestCount()).toBe(2);
    expect(sim.requestCount('documents')).toBe(1);
    expect(sim.requestCount('job_roles')).toBe(1);
    const log = sim.requests();
    expect(log).toHaveLength(3);
    expect(log[1]).toMatchObject({
      method: 'GET',
      path: '/api/job-roles',
      query: { $limit: '1' },
      status: 200,
      stream: 'job_roles',
    });
    expect(log[0].at).toBeLessThanOrEqual(Date.now());
  });
});

describe('Humaans simulator: mutations', () => {
  let sim: SimulatorHandle;
  beforeAll(async () => {
    sim = await startHumaansSimulator({ records: 300, seed: 7 });
  });
  afterAll(() => sim.close());

  it('moves updated and created records after everything seen, and hides deleted ones', async () => {
    const before = sim.records('documents');
    const maxUpdated = before
      .map((d) => d.updatedAt as string)
      .sort()
      .at(-1) as string;
    const result = sim.mutate({ updates: 5, deletes: 3, creates: 4 });
    expect(result.updated).toHaveLength(5);
    expect(result.deleted).toHaveLength(3);
    expect(result.created).toHaveLength(4);
    const touched = new Set<unknown>([...result.updated, ...result.deleted]);
    expect(touched.size).toBe(8);

    // Incremental read from the old high-water mark: exactly the updates then the creates, in write order.
    const inc = await humaansGet(
      `${sim.baseUrl}/documents?updatedAt[$gt]=${maxUpdated}&$sort[updatedAt]=1&$limit=250`,
    );
    expect(inc.json.data.map((d: Rec) => d.id)).toEqual([...result.updated, ...result.created]);
    const stamps = inc.json.data.map((d: Rec) => d.updatedAt as string);
    expect([...stamps].sort()).toEqual(stamps);
    expect(new Set(stamps).size).toBe(stamps.length);

    // Sorted by updatedAt, the changed records come last.
    const all = await humaansGet(`${sim.baseUrl}/documents?$sort[updatedAt]=1&$limit=250&$skip=51`);
    expect(all.json.total).toBe(301);
    expect(all.json.data.slice(-9).map((d: Rec) => d.id)).toEqual([...result.updated, ...result.created]);

    // Deleted records vanish from lists and from GET by id.
    const listed = sim.records('documents');
    expect(listed).toHaveLength(301);
    const listedIds = new Set(listed.map((d) => d.id));
    for (const id of result.deleted) {
      expect(listedIds.has(id)).toBe(false);
      expect((await humaansGet(`${sim.baseUrl}/documents/${id}`)).status).toBe(404);
    }
    // Updated records changed and keep createdAt; created records are at the end of the default order.
    for (const id of result.updated) {
      const now = (await humaansGet(`${sim.baseUrl}/documents/${id}`)).json;
      const old = before.find((d) => d.id === id) as Rec;
      expect(now.createdAt).toBe(old.createdAt);
      expect(now.updatedAt > maxUpdated).toBe(true);
      expect(now.name).not.toBe(old.name);
    }
    expect(listed.slice(-4).map((d) => d.id)).toEqual(result.created);
    for (const id of result.created)
      expect((await humaansGet(`${sim.baseUrl}/documents/${id}`)).status).toBe(200);
  });

  it('never serves a page prepared before a mutation', async () => {
    expect((await humaansGet(`${sim.baseUrl}/people?$limit=5`)).json.total).toBe(30);
    await humaansGet(`${sim.baseUrl}/people?$limit=5&$skip=5`);
    // Reading in sequence makes the simulator prepare the third page; now change every record it holds.
    await new Promise((r) => setTimeout(r, 20));
    sim.mutate({ stream: 'people', updates: 30 });
    const page3 = await humaansGet(`${sim.baseUrl}/people?$limit=5&$skip=10`);
    expect(page3.json.data).toEqual(sim.records('people').slice(10, 15));
  });

  it('mutates other streams by name, and is deterministic with a seed', async () => {
    const a = await startHumaansSimulator({ records: 100, seed: 3 });
    const b = await startHumaansSimulator({ records: 100, seed: 3 });
    try {
      const ra = a.mutate({ stream: 'job-roles', updates: 1, deletes: 1, seed: 5 });
      const rb = b.mutate({ stream: 'job_roles', updates: 1, deletes: 1, seed: 5 });
      expect(ra.updated).toEqual(rb.updated);
      expect(ra.deleted).toEqual(rb.deleted);
      expect(a.records('job_roles')).toHaveLength(1);
      expect(() => a.mutate({ stream: 'nope', updates: 1 })).toThrow(/unknown Humaans stream/);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('Humaans simulator: determinism', () => {
  it('generates the same data for the same seed, and different data for another', async () => {
    const [a, b, c] = await Promise.all([
      startHumaansSimulator({ records: 200, seed: 11 }),
      startHumaansSimulator({ records: 200, seed: 11 }),
      startHumaansSimulator({ records: 200, seed: 12 }),
    ]);
    try {
      for (const s of a.streams()) expect(b.records(s), s).toEqual(a.records(s));
      expect(c.records('documents')).not.toEqual(a.records('documents'));
      const pa = await humaansGet(`${a.baseUrl}/people?$limit=20`);
      const pb = await humaansGet(`${b.baseUrl}/people?$limit=20`);
      expect(pb.text).toBe(pa.text);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it('handles an empty dataset', async () => {
    const sim = await startHumaansSimulator({ records: 0 });
    try {
      expect((await humaansGet(`${sim.baseUrl}/documents`)).json).toEqual({
        total: 0,
        limit: 100,
        skip: 0,
        data: [],
      });
      expect((await humaansGet(`${sim.baseUrl}/companies`)).json.total).toBe(3);
      expect((await humaansGet(`${sim.baseUrl}/locations`)).json.total).toBe(1);
    } finally {
      await sim.close();
    }
  });

  it('honours a custom token', async () => {
    const sim = await startHumaansSimulator({ records: 10, token: 'tok-123' });
    try {
      expect((await humaansGet(`${sim.baseUrl}/documents`)).status).toBe(401);
      expect((await humaansGet(`${sim.baseUrl}/documents`, 'tok-123')).status).toBe(200);
    } finally {
      await sim.close();
    }
  });
});
