/**
 * Every dashboard page and action through fastify.inject, over a real cluster: Redis, a worker running real
 * syncs against the Humaans simulator, and a hostile API whose error message holds markup. Checks what each
 * page shows, that actions go through the CLI's functions (their effect in Redis and the queue), CSRF and
 * auth refusals, escaping, and that no secret appears in any page, download or event. Skipped without
 * Redis (fails instead when CI=true).
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueRun, pauseInfo, readRuns } from '../../src/cluster/dashboard-data.js';
import { findConnection } from '../../src/connections/connections-file.js';
import { buildDashboard } from '../../src/dashboard/server.js';
import {
  cookieHeader,
  cookiesOf,
  csrfOf,
  type DashboardFixture,
  HOSTILE_MESSAGE,
  HOSTILE_TOKEN,
  startDashboardFixture,
} from '../helpers/dashboard.js';
import { redisReachable, waitFor } from '../helpers/redis.js';
import { HUMAANS_TOKEN } from '../helpers/simulator.js';

const available = await redisReachable();
if (!available && process.env.CI !== 'true')
  console.warn(
    'dashboard route tests skipped: no Redis at TRIBUTARY_TEST_REDIS_URL (default redis://127.0.0.1:6379)',
  );
const describeRedis = available || process.env.CI === 'true' ? describe : describe.skip;

const HTML = { accept: 'text/html' };
const SECRETS = [HUMAANS_TOKEN, HOSTILE_TOKEN];

function expectNoSecret(text: string) {
  for (const s of SECRETS) expect(text).not.toContain(s);
}

describeRedis('dashboard routes', () => {
  let f: DashboardFixture;
  let goodRun: string;
  let badRun: string;

  beforeAll(async () => {
    // Pages of 10 records at 100 ms each: a sync lasts a few seconds, long enough to cancel it.
    f = await startDashboardFixture('dash-routes', { latencyMs: 100 });
    const file = f.ctx.file();
    const since = Date.now();
    for (const name of ['people-hr', 'hostile'])
      await enqueueRun(f.cluster.redis, f.cluster.queue, f.cluster.keys, findConnection(file, name));
    goodRun = (await f.cluster.nextLastRun('people-hr', since, 60_000)).runId!;
    badRun = (await f.cluster.nextLastRun('hostile', since, 60_000)).runId!;
  });
  afterAll(async () => {
    await f?.close();
  });

  const get = async (url: string, headers: Record<string, string> = HTML) => {
    const r = await f.app.inject({ method: 'GET', url, headers });
    expectNoSecret(r.body);
    return r;
  };

  it('connections: every connection with its status, last run, next run, freshness and rows; strict CSP', async () => {
    const r = await get('/');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-security-policy']).toContain("script-src 'self'");
    expect(r.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(r.body).toContain('href="/connections/people-hr"');
    expect(r.body).toContain('href="/connections/hostile"');
    expect(r.body).toMatch(/b-healthy">healthy/);
    expect(r.body).toMatch(/b-failing">failing/);
    const last = (await f.cluster.lastRun('people-hr'))!;
    expect(r.body).toContain(last.records!.toLocaleString('en-US'));
    expect(r.body).toMatch(
      /<time datetime="[^"]+">[^<]+ <span class="abs">\(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)/,
    );
    const frag = await get('/fragments/connections');
    expect(frag.body).toContain('hx-trigger="every 5s"');
  });

  it('a connection: streams, run timeline with chart, config with every secret masked', async () => {
    const r = await get('/connections/people-hr');
    expect(r.statusCode).toBe(200);
    const runs = await readRuns(f.cluster.redis, f.cluster.keys, 'people-hr', 10);
    expect(r.body).toContain(`href="/runs/${goodRun}"`);
    expect(r.body).toContain('<svg class="chart"');
    expect(r.body).toContain('api_token');
    expect(r.body).toContain('(secret)');
    expect(r.body).toContain('people'); // a stream
    expect(r.body).toContain(runs[0]!.records.toLocaleString('en-US'));
    expect(r.body).toContain('/connections/people-hr/actions/sync');
    expect(r.body).toContain('/connections/people-hr/actions/reset-state?stream=people');
    expect((await get('/connections/nope')).statusCode).toBe(404);
  });

  it('a run: the per-stream summary with the numbers of the run record, and its log, downloadable as NDJSON', async () => {
    const [run] = (await readRuns(f.cluster.redis, f.cluster.keys, 'people-hr', 1)).filter(
      (x) => x.runId === goodRun,
    );
    const r = await get(`/runs/${goodRun}`);
    expect(r.statusCode).toBe(200);
    for (const s of run!.streams) {
      expect(r.body).toContain(`<td data-label="Stream">${s.stream}</td>`);
      expect(r.body).toContain(
        `<td data-label="Upserts" class="num">${s.upserts.toLocaleString('en-US')}</td>`,
      );
    }
    const log = await get(`/runs/${goodRun}/log.ndjson`, {});
    expect(log.statusCode).toBe(200);
    expect(log.headers['content-type']).toContain('application/x-ndjson');
    const lines = log.body.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
    expect((await get('/runs/no-such-run')).statusCode).toBe(404);
  });

  it("a hostile API's error message is shown as text on the run and connection pages, never as markup", async () => {
    for (const url of [`/runs/${badRun}`, '/connections/hostile']) {
      const r = await get(url);
      expect(r.statusCode).toBe(200);
      expect(r.body).not.toContain('<script>window.__pwned');
      expect(r.body).not.toContain('<img src=x');
      expect(r.body).toContain(
        '&lt;script&gt;window.__pwned=1;document.title=&#39;pwned&#39;&lt;/script&gt;',
      );
      expect(r.body).toContain('TRB_SOURCE_HTTP');
    }
    expect(HOSTILE_MESSAGE).toContain('<script>');
  });

  it('live and budgets pages render; the live event stream sends escaped HTML and no secret', async () => {
    const live = await get('/live');
    expect(live.statusCode).toBe(200);
    expect(live.body).toContain('src="/assets/live.js"');
    const budgets = await get('/budgets');
    expect(budgets.statusCode).toBe(200);
    expect(budgets.body).toContain('Rate budgets');
    // The credential of people-hr, named by its connection, with the requests its sync made.
    expect(budgets.body).toContain('Used by <a href="/connections/people-hr">people-hr</a>');
    expect(budgets.body).toMatch(/Requests \(1 h\)<\/dt><dd>[1-9][\d,]*, peak/);
    await f.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = f.app.server.address() as { port: number };
    const ac = new AbortController();
    const res = await request(`http://127.0.0.1:${port}/live/events`, { signal: ac.signal });
    expect(res.headers['content-type']).toContain('text/event-stream');
    let text = '';
    for await (const chunk of res.body) {
      text += chunk.toString();
      if (text.includes('event: live')) break;
    }
    ac.abort();
    expect(text).toMatch(/event: live\ndata: /);
    expectNoSecret(text);
  });

  it('assets come from this server: htmx, the stylesheet and the live script', async () => {
    for (const [url, type] of [
      ['/assets/htmx.min.js', 'javascript'],
      ['/assets/dashboard.css', 'text/css'],
      ['/assets/live.js', 'javascript'],
    ]) {
      const r = await f.app.inject({ url: url! });
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toContain(type);
    }
  });

  it('Bull Board is mounted at /queues', async () => {
    const r = await get('/queues');
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('tributary queues');
    expect(r.body).not.toContain('fonts.googleapis.com');
  });

  /** GET the confirm page, then POST its form with its CSRF token and cookie; return the page after the redirect. */
  async function act(path: string, query = ''): Promise<{ status: number; page: string }> {
    const confirm = await get(`${path}${query}`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('<form method="post"');
    const jar = cookiesOf(confirm.headers['set-cookie']);
    const stream = query.match(/stream=([^&]+)/)?.[1];
    const post = await f.app.inject({
      method: 'POST',
      url: path,
      headers: { ...HTML, cookie: cookieHeader(jar), 'content-type': 'application/x-www-form-urlencoded' },
      payload: `_csrf=${encodeURIComponent(csrfOf(confirm.body))}${stream ? `&stream=${stream}` : ''}`,
    });
    expect(post.statusCode).toBe(303);
    const next = await get(post.headers.location as string);
    return { status: next.statusCode, page: next.body };
  }

  it('pause and resume, each confirmed, change what `status` reads (the CLI functions)', async () => {
    const paused = await act('/connections/people-hr/actions/pause');
    expect(paused.page).toContain('Paused people-hr.');
    expect(await pauseInfo(f.cluster.redis, f.cluster.keys, 'people-hr')).toMatchObject({
      reason: 'paused from the dashboard',
    });
    const sync = await act('/connections/people-hr/actions/sync');
    expect(sync.page).toContain('TRB_CONNECTION_PAUSED');
    const resumed = await act('/connections/people-hr/actions/resume');
    expect(resumed.page).toContain('Resumed people-hr.');
    expect(await pauseInfo(f.cluster.redis, f.cluster.keys, 'people-hr')).toBeUndefined();
  });

  it('sync now queues a run that lands in the history; full refresh and reset queue jobs naming the stream', async () => {
    const since = Date.now();
    const sync = await act('/connections/people-hr/actions/sync');
    expect(sync.page).toMatch(/Queued the sync of people-hr \(job [^)]+\)|already (pending|running)/);
    await f.cluster.nextLastRun('people-hr', since, 60_000);

    const full = await act('/connections/people-hr/actions/full-refresh', '?stream=people');
    const fullJob = full.page.match(/Queued the full refresh of people of people-hr \(job ([^)]+)\)/)?.[1];
    expect(fullJob).toBeDefined();
    expect((await f.cluster.queue.getJob(fullJob!))?.data).toMatchObject({
      connection: 'people-hr',
      fullRefresh: true,
      streams: ['people'],
    });
    await f.cluster.nextLastRun('people-hr', Date.now() - 1, 60_000).catch(() => undefined);

    const reset = await act('/connections/people-hr/actions/reset-state', '?stream=people');
    const resetJob = reset.page.match(/\(job ([^)]+)\)/)?.[1];
    expect(resetJob).toBeDefined();
    const data = (await f.cluster.queue.getJob(resetJob!))?.data;
    if (reset.page.includes('Queued')) expect(data).toMatchObject({ resetState: true, streams: ['people'] });
  });

  it('cancel with nothing running says so; cancel of a running sync stops it (the run ends cancelled)', async () => {
    const none = await act('/connections/hostile/actions/cancel');
    expect(none.page).toContain('Nothing to cancel: hostile has no running or queued job.');
    const since = Date.now();
    await act('/connections/people-hr/actions/sync');
    await waitFor('the sync to run', async () =>
      (await f.cluster.redis.hget(f.cluster.keys.running, 'people-hr')) ? true : undefined,
    );
    const page = await get('/connections/people-hr');
    expect(page.body).toContain('/connections/people-hr/actions/cancel');
    // Its page has a live panel streaming that connection's progress.
    expect(page.body).toContain('data-events="/live/events?connection=people-hr"');
    const r = await act('/connections/people-hr/actions/cancel');
    expect(r.page).toMatch(/Asked the worker to stop the running sync of people-hr \(job [^)]+\)\./);
    const last = await f.cluster.nextLastRun('people-hr', since, 60_000);
    expect(last.status).toBe('cancelled');
  });

  it('refuses a state-changing request without a valid CSRF token, and a GET does nothing', async () => {
    const noToken = await f.app.inject({
      method: 'POST',
      url: '/connections/people-hr/actions/pause',
      headers: { ...HTML, 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    expect(noToken.statusCode).toBe(403);
    const confirm = await get('/connections/people-hr/actions/pause');
    const forged = await f.app.inject({
      method: 'POST',
      url: '/connections/people-hr/actions/pause',
      headers: {
        ...HTML,
        cookie: cookieHeader(cookiesOf(confirm.headers['set-cookie'])),
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: '_csrf=forged-token',
    });
    expect(forged.statusCode).toBe(403);
    expect(await pauseInfo(f.cluster.redis, f.cluster.keys, 'people-hr')).toBeUndefined();
    // The confirm page itself changes nothing.
    expect(confirm.statusCode).toBe(200);
    expect(await pauseInfo(f.cluster.redis, f.cluster.keys, 'people-hr')).toBeUndefined();
  });

  it('with a token: pages refuse without it, accept it as a bearer header or after the login form', async () => {
    const token = 'dash-token-for-tests-99';
    const app = await buildDashboard({ ...f.ctx, token });
    try {
      const anon = await app.inject({ url: '/', headers: HTML });
      expect(anon.statusCode).toBe(303);
      expect(anon.headers.location).toBe('/login?next=%2F');
      expect((await app.inject({ url: '/budgets' })).statusCode).toBe(401);
      expect((await app.inject({ url: '/queues' })).statusCode).toBe(401);
      expect((await app.inject({ url: '/live/events' })).statusCode).toBe(401);
      expect((await app.inject({ url: '/', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(
        401,
      );
      expect((await app.inject({ url: '/', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(
        200,
      );

      const login = await app.inject({ url: '/login?next=/budgets', headers: HTML });
      expect(login.statusCode).toBe(200);
      const jar = cookiesOf(login.headers['set-cookie']);
      const form = (t: string, csrf = csrfOf(login.body)) =>
        app.inject({
          method: 'POST',
          url: '/login',
          headers: { cookie: cookieHeader(jar), 'content-type': 'application/x-www-form-urlencoded' },
          payload: `_csrf=${encodeURIComponent(csrf)}&next=%2Fbudgets&token=${encodeURIComponent(t)}`,
        });
      const wrong = await form('nope');
      expect(wrong.statusCode).toBe(303);
      expect(wrong.headers.location).toContain('failed=1');
      expect(wrong.headers['set-cookie'] ?? '').not.toContain('trb_session');
      expect((await form(token, 'forged')).statusCode).toBe(403);
      const ok = await form(token);
      expect(ok.statusCode).toBe(303);
      expect(ok.headers.location).toBe('/budgets');
      const session = cookiesOf(ok.headers['set-cookie'], { ...jar });
      expect(session.trb_session).toBeDefined();
      expect(String(ok.headers['set-cookie'])).toMatch(/HttpOnly/i);
      const page = await app.inject({ url: '/budgets', headers: { cookie: cookieHeader(session) } });
      expect(page.statusCode).toBe(200);
      expect(page.body).not.toContain(token);
      // The connections table's htmx refresh, as the browser sends it (htmx's headers; Accept like a page's).
      const refresh = (cookie: Record<string, string>) =>
        app.inject({
          url: '/fragments/connections',
          headers: {
            cookie: cookieHeader(cookie),
            'hx-request': 'true',
            'hx-current-url': 'http://127.0.0.1:4321/budgets?x=1',
            accept: 'text/html, */*',
          },
        });
      const live = await refresh(session);
      expect(live.statusCode).toBe(200);
      expect(live.headers['hx-redirect']).toBeUndefined();
      expect(live.body).toContain('id="connections"');

      // Sign out: a confirm form (CSRF-checked POST); the session no longer opens pages.
      const out = await app.inject({ url: '/logout', headers: { cookie: cookieHeader(session) } });
      expect(out.body).toContain('action="/logout"');
      const jar2 = cookiesOf(out.headers['set-cookie'], { ...session });
      const signedOut = await app.inject({
        method: 'POST',
        url: '/logout',
        headers: { cookie: cookieHeader(jar2), 'content-type': 'application/x-www-form-urlencoded' },
        payload: `_csrf=${encodeURIComponent(csrfOf(out.body))}`,
      });
      expect(signedOut.statusCode).toBe(303);
      expect(
        (await app.inject({ url: '/budgets', headers: { cookie: cookieHeader(session) } })).statusCode,
      ).toBe(401);
      // The table's refresh on the ended session: no login page to swap into the table, but a redirect of the
      // whole page (htmx's HX-Redirect) to the login form, back to where the browser was.
      const ended = await refresh(session);
      expect(ended.statusCode).toBe(401);
      expect(ended.headers['hx-redirect']).toBe(`/login?next=${encodeURIComponent('/budgets?x=1')}`);
      expect(ended.headers.location).toBeUndefined();
      expect(ended.body).not.toContain('<form');
      // A foreign or odd HX-Current-URL never becomes the login's `next` elsewhere: only its path is kept.
      const odd = await app.inject({
        url: '/fragments/connections',
        headers: { 'hx-request': 'true', 'hx-current-url': 'https://evil.example//x' },
      });
      expect(odd.statusCode).toBe(401);
      expect(odd.headers['hx-redirect']).toBe('/login?next=%2F');
    } finally {
      await app.close();
    }
  });
});
