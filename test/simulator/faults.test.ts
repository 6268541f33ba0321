import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHellobatonSimulator } from '../../src/connectors/hellobaton/simulator/index.js';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import type { FaultKind, SimulatorHandle } from '../../src/simulator/types.js';
import { get, HUMAANS_TOKEN, humaansGet, withKey } from '../helpers/simulator.js';

const auth = { authorization: `Bearer ${HUMAANS_TOKEN}` };

describe('faults on list requests', () => {
  let sim: SimulatorHandle;
  let url: string;
  beforeAll(async () => {
    sim = await startHumaansSimulator({ records: 50, faults: { hangMs: 150, slowBytesPerSecond: 20_000 } });
    url = `${sim.baseUrl}/documents?$limit=5`;
  });
  afterAll(() => sim.close());

  it.each([
    ['500', 'GeneralError'],
    ['502', 'BadGateway'],
    ['503', 'Unavailable'],
  ] as const)('%s answers with the vendor JSON error body', async (kind, name) => {
    sim.failNext(1, kind);
    const r = await humaansGet(url);
    expect(r.status).toBe(Number(kind));
    expect(r.json).toMatchObject({ name, code: Number(kind) });
    expect((await humaansGet(url)).status).toBe(200);
  });

  it('429 carries Retry-After; 429-no-retry-after does not', async () => {
    sim.setFaults({ retryAfterSeconds: 7, hangMs: 150, slowBytesPerSecond: 20_000 });
    sim.failNext(1, '429');
    const a = await humaansGet(url);
    expect(a.status).toBe(429);
    expect(a.headers['retry-after']).toBe('7');
    expect(a.json.name).toBe('TooManyRequests');
    sim.failNext(1, '429-no-retry-after');
    const b = await humaansGet(url);
    expect(b.status).toBe(429);
    expect(b.headers['retry-after']).toBeUndefined();
    sim.setFaults({ hangMs: 150, slowBytesPerSecond: 20_000 });
  });

  it('reset drops the connection without a response', async () => {
    sim.failNext(1, 'reset');
    await expect(fetch(url, { headers: auth })).rejects.toThrow();
    expect(sim.requests().at(-1)?.status).toBe(0);
    expect((await humaansGet(url)).status).toBe(200);
  });

  it('hang never answers, then drops the socket after hangMs', async () => {
    sim.failNext(1, 'hang');
    const t0 = Date.now();
    await expect(fetch(url, { headers: auth })).rejects.toThrow();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('truncated promises the full length but sends half', async () => {
    const full = await humaansGet(url);
    sim.failNext(1, 'truncated');
    const res = await request(url, { headers: auth });
    expect(res.statusCode).toBe(200);
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(full.text));
    await expect(res.body.text()).rejects.toThrow();
  });

  it('malformed sends a complete response that is not JSON', async () => {
    sim.failNext(1, 'malformed');
    const res = await fetch(url, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/json/);
    const text = await res.text();
    expect(text.length).toBeGreaterThan(0);
    expect(() => JSON.parse(text)).toThrow();
  });

  it('slow drips the real body', async () => {
    const full = await humaansGet(url);
    sim.failNext(1, 'slow');
    const t0 = Date.now();
    const r = await humaansGet(url);
    const elapsed = Date.now() - t0;
    expect(r.status).toBe(200);
    expect(r.text).toBe(full.text);
    // ~4 KB at 20 KB/s in 2 KB steps every 100 ms.
    expect(elapsed).toBeGreaterThanOrEqual(90);
  });

  it('html answers 200 with a web page', async () => {
    sim.failNext(1, 'html');
    const r = await humaansGet(url);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.text).toMatch(/^<!DOCTYPE html>/);
  });

  it('failNext is exact and counted; only list requests get faults', async () => {
    sim.resetStats();
    sim.failNext(2, '503');
    const id = sim.records('documents')[0].id as string;
    expect((await humaansGet(`${sim.baseUrl}/documents/${id}`)).status).toBe(200);
    expect((await humaansGet(url)).status).toBe(503);
    expect((await humaansGet(url)).status).toBe(503);
    expect((await humaansGet(url)).status).toBe(200);
    expect(sim.requestCount()).toBe(3);
    expect(sim.requests().map((r) => r.status)).toEqual([200, 503, 503, 200]);
  });

  it('draws faults by rate from a seed, the same way every time', async () => {
    const statuses = async (s: SimulatorHandle) => {
      const out: number[] = [];
      for (let i = 0; i < 40; i++) out.push((await humaansGet(`${s.baseUrl}/documents?$limit=1`)).status);
      return out;
    };
    const faults = { rate: 0.3, kinds: ['500', '429'] as FaultKind[], seed: 5 };
    const a = await startHumaansSimulator({ records: 5, faults });
    const b = await startHumaansSimulator({ records: 5, faults });
    try {
      const sa = await statuses(a);
      expect(await statuses(b)).toEqual(sa);
      const failed = sa.filter((s) => s !== 200);
      expect(failed.length).toBeGreaterThan(3);
      expect(failed.length).toBeLessThan(25);
      expect(new Set(failed)).toEqual(new Set([500, 429]));
      a.setFaults(undefined);
      expect((await statuses(a)).every((s) => s === 200)).toBe(true);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('close() with requests in flight', () => {
  it('ends hanging and dripping responses at once', async () => {
    const sim = await startHumaansSimulator({
      records: 20,
      faults: { hangMs: 60_000, slowBytesPerSecond: 10 },
    });
    sim.failNext(1, 'hang');
    const hanging = fetch(`${sim.baseUrl}/documents`, { headers: auth }).catch((e: Error) => e);
    sim.failNext(1, 'slow');
    const slow = request(`${sim.baseUrl}/documents`, { headers: auth })
      .then((r) => r.body.text())
      .catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await sim.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await hanging).toBeInstanceOf(Error);
    expect(await slow).toBeInstanceOf(Error);
  });
});

describe('Hellobaton faults and rate limit', () => {
  it('uses DRF error bodies for faults', async () => {
    const sim = await startHellobatonSimulator({ records: 50 });
    try {
      sim.failNext(1, '503');
      const r = await get(withKey(`${sim.baseUrl}tasks/`));
      expect(r.status).toBe(503);
      expect(r.json).toEqual({ detail: 'Service temporarily unavailable, try again later.' });
      sim.failNext(1, '429');
      const t = await get(withKey(`${sim.baseUrl}tasks/`));
      expect(t.headers['retry-after']).toBe('1');
      expect(t.json).toEqual({ detail: 'Request was throttled. Expected available in 1 second.' });
    } finally {
      await sim.close();
    }
  });

  it('throttles past rateLimitPerMinute with Retry-After, per key, before faults', async () => {
    const sim = await startHellobatonSimulator({ records: 50, rateLimitPerMinute: 3 });
    try {
      for (let i = 0; i < 3; i++) expect((await get(withKey(`${sim.baseUrl}tasks/`))).status).toBe(200);
      const r = await get(withKey(`${sim.baseUrl}tasks/`));
      expect(r.status).toBe(429);
      const wait = Number(r.headers['retry-after']);
      expect(wait).toBeGreaterThanOrEqual(59);
      expect(wait).toBeLessThanOrEqual(60);
      expect(r.json.detail).toBe(`Request was throttled. Expected available in ${wait} seconds.`);
      // Bad keys are refused before they can use up anyone's budget.
      expect((await get(withKey(`${sim.baseUrl}tasks/`, 'bad'))).status).toBe(401);
      // Redirects are answered by Django's middleware, outside the throttle.
      expect((await get(withKey(`${sim.baseUrl}tasks`))).status).toBe(301);
      expect(sim.requestCount('tasks')).toBe(5);
    } finally {
      await sim.close();
    }
  });

  it('defaults to 1000 requests per minute, and 0 turns the limit off', async () => {
    const limited = await startHellobatonSimulator({ records: 5 });
    const open = await startHellobatonSimulator({ records: 5, rateLimitPerMinute: 0 });
    try {
      const hammer = async (s: SimulatorHandle, n: number) => {
        const statuses: number[] = [];
        for (let i = 0; i < n; i++) statuses.push((await get(withKey(`${s.baseUrl}phases/`))).status);
        return statuses;
      };
      const a = await hammer(limited, 1001);
      expect(a.slice(0, 1000).every((s) => s === 200)).toBe(true);
      expect(a[1000]).toBe(429);
      expect((await hammer(open, 1001)).every((s) => s === 200)).toBe(true);
    } finally {
      await Promise.all([limited.close(), open.close()]);
    }
  });

  it('Humaans has no limit unless asked, then answers 429 in Feathers form', async () => {
    const sim = await startHumaansSimulator({ records: 5, rateLimitPerMinute: 2 });
    try {
      expect((await humaansGet(`${sim.baseUrl}/companies`)).status).toBe(200);
      expect((await humaansGet(`${sim.baseUrl}/companies`)).status).toBe(200);
      const r = await humaansGet(`${sim.baseUrl}/companies`);
      expect(r.status).toBe(429);
      expect(r.json).toMatchObject({ name: 'TooManyRequests', code: 429 });
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await sim.close();
    }
  });

  it('delays every response by latencyMs', async () => {
    const sim = await startHellobatonSimulator({ records: 5, latencyMs: 120 });
    try {
      const t0 = Date.now();
      expect((await get(withKey(`${sim.baseUrl}tasks/`))).status).toBe(200);
      expect((await get(withKey(`${sim.baseUrl}tasks/`, 'bad'))).status).toBe(401);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(235);
    } finally {
      await sim.close();
    }
  });
});
