/**
 * The dashboard in a real Chromium (Debian's `chromium`, driven by playwright-core): simulators, Redis and a
 * worker as in production, the dashboard app listening on loopback. It triggers a sync through the pages
 * and watches the live counts rise over server-sent events without a reload, sees the run land in the
 * history, resets a stream's state and checks it in the DuckDB destination, and checks that a hostile API's
 * `<script>` error shows as text with no script run and no dialog.
 *
 * With TRIBUTARY_SCREENSHOTS=1 it also writes screenshots of the main pages at 1280 and 390 px into
 * docs/img/ (off by default, so a normal run leaves the tree clean).
 *
 * Skipped with a notice when /usr/bin/chromium (or TRIBUTARY_CHROMIUM) or Redis is missing, except under
 * CI=true, where that is a failure.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRuns } from '../../src/cluster/dashboard-data.js';
import { ROOT } from '../helpers/cli.js';
import { type DashboardFixture, startDashboardFixture } from '../helpers/dashboard.js';
import { queryDuckDb } from '../helpers/duckdb.js';
import { redisReachable, waitFor } from '../helpers/redis.js';

const CHROMIUM = process.env.TRIBUTARY_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const haveRedis = await redisReachable();
const CI = process.env.CI === 'true';
if (!CI && (!haveChromium || !haveRedis))
  console.warn(
    `dashboard browser tests skipped: ${!haveChromium ? `no Chromium at ${CHROMIUM} (apt-get install chromium)` : 'no Redis at TRIBUTARY_TEST_REDIS_URL'}`,
  );
const describeBrowser = CI || (haveChromium && haveRedis) ? describe : describe.skip;
const SCREENSHOTS = process.env.TRIBUTARY_SCREENSHOTS === '1';
const IMG = join(ROOT, 'docs', 'img');

describeBrowser('dashboard in Chromium', () => {
  let f: DashboardFixture;
  let context: BrowserContext;
  let profile: string;
  let base: string;
  const dialogs: string[] = [];

  beforeAll(async () => {
    // Slow pages, so a sync lasts long enough to watch its counts rise.
    f = await startDashboardFixture('dash-browser', { records: 300, latencyMs: 200 });
    await f.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(f.app.server.address() as { port: number }).port}`;
    profile = mkdtempSync(join(tmpdir(), 'tributary-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
      viewport: { width: 1280, height: 900 },
    });
  });
  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await f?.close();
  });

  async function shoot(page: Page, name: string) {
    if (!SCREENSHOTS) return;
    mkdirSync(IMG, { recursive: true });
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      await page.screenshot({ path: join(IMG, `${name}-${width}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  }

  async function newPage(): Promise<Page> {
    const page = await context.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    return page;
  }

  /** The sum of the records cells of a connection on the Live page. */
  const liveRecords = (page: Page, connection: string) =>
    page.$$eval(`section[data-connection="${connection}"] td[data-records]`, (cells) =>
      cells.reduce(
        (a, c) => a + Number((c as unknown as { dataset: Record<string, string> }).dataset.records),
        0,
      ),
    );

  it('sync now from the pages; the live counts rise over SSE without a reload; the run lands in the history', async () => {
    const live = await newPage();
    await live.goto(`${base}/live`);
    await expect.poll(() => live.textContent('#live-state')).toContain('Live: updates');
    await live.evaluate(() => {
      (globalThis as unknown as { __sameDocument: boolean }).__sameDocument = true;
    });
    await shoot(live, 'live-empty');

    const page = await newPage();
    await page.goto(`${base}/`);
    await shoot(page, 'connections-empty');
    await page.click('a[href="/connections/people-hr"]');
    await page.click('a.button:has-text("Sync now")');
    expect(page.url()).toContain('/connections/people-hr/actions/sync');
    await shoot(page, 'confirm');
    const since = Date.now();
    // Keyboard: the confirm button is a real button; Enter on it submits the form.
    await page.focus('button[type="submit"]');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/connections\/people-hr\?flash=/);
    expect(await page.textContent('.flash')).toMatch(/Queued the sync of people-hr/);

    // Live: the section appears and its counts rise, in the same document (no reload).
    await live.waitForSelector('section[data-connection="people-hr"]', { timeout: 30_000 });
    let first = 0;
    await expect
      .poll(async () => (first = await liveRecords(live, 'people-hr')), { timeout: 30_000 })
      .toBeGreaterThan(0);
    await expect.poll(() => liveRecords(live, 'people-hr'), { timeout: 30_000 }).toBeGreaterThan(first);
    await shoot(live, 'live');
    expect(
      await live.evaluate(() => (globalThis as unknown as { __sameDocument?: boolean }).__sameDocument),
    ).toBe(true);

    const last = await f.cluster.nextLastRun('people-hr', since, 120_000);
    expect(last.status).toBe('succeeded');
    await page.goto(`${base}/connections/people-hr`);
    await page.waitForSelector(`a[href="/runs/${last.runId}"]`);
    expect(await page.locator('svg.chart').count()).toBe(1);
    await shoot(page, 'connection');
    await page.click(`a[href="/runs/${last.runId}"]`);
    await page.waitForSelector('table.summary');
    await shoot(page, 'run');
    await page.goto(`${base}/`);
    expect(await page.textContent('#connections')).toContain('healthy');
    await shoot(page, 'connections');
    await page.goto(`${base}/budgets`);
    await shoot(page, 'budgets');
  });

  it("reset a stream's state from its row; the destination no longer holds that stream's state", async () => {
    const db = f.db;
    const before = await queryDuckDb(db, `select stream from "people-hr"._tributary_state order by stream`);
    expect(before.map((r) => r.stream)).toContain('people');
    const page = await newPage();
    await page.goto(`${base}/connections/people-hr`);
    await page.click('a[href="/connections/people-hr/actions/reset-state?stream=people"]');
    await page.click('button[type="submit"]');
    await page.waitForURL(/flash=/);
    expect(await page.textContent('.flash')).toMatch(/Queued the reset of people's state/);
    const after = await waitFor(
      "the people stream's state to be gone",
      async () => {
        try {
          const rows = await queryDuckDb(db, `select stream, state from "people-hr"._tributary_state`);
          const people = rows.find((r) => r.stream === 'people');
          return people === undefined || people.state === null ? rows : undefined;
        } catch {
          return undefined; // the worker holds the file for a moment
        }
      },
      60_000,
      250,
    );
    // Only that stream: the others keep theirs.
    expect(after.map((r) => r.stream).filter((s) => s !== 'people').length).toBe(before.length - 1);
    // The history records it as a reset (written just after the destination's change).
    const reset = await waitFor('the reset in the run history', async () =>
      (await readRuns(f.cluster.redis, f.cluster.keys, 'people-hr', 5)).find((r) => r.kind === 'reset-state'),
    );
    expect(reset.requestedStreams).toEqual(['people']);
  });

  it("a hostile API's <script> error shows as text; no script runs and no dialog opens", async () => {
    const since = Date.now();
    const page = await newPage();
    await page.goto(`${base}/connections/hostile/actions/sync`);
    await page.click('button[type="submit"]');
    await page.waitForURL(/flash=/);
    const last = await f.cluster.nextLastRun('hostile', since, 60_000);
    expect(last.status).toBe('failed');
    for (const url of [`${base}/connections/hostile`, `${base}/runs/${last.runId}`]) {
      await page.goto(url);
      const text = await page.textContent('main');
      expect(text).toContain("<script>window.__pwned=1;document.title='pwned'</script>");
      expect(
        await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned),
      ).toBeUndefined();
      expect(await page.title()).not.toBe('pwned');
      expect(await page.locator('main script, main img').count()).toBe(0);
    }
    await shoot(page, 'run-failed');
    expect(dialogs).toEqual([]);
  });

  it('Bull Board at /queues renders the sync queue under the same CSP', async () => {
    const page = await newPage();
    const blocked: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) blocked.push(m.text());
    });
    const outside: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(base)) outside.push(r.url());
    });
    await page.goto(`${base}/queues`);
    await page.waitForSelector('text=sync', { timeout: 30_000 });
    await shoot(page, 'queues');
    expect(blocked).toEqual([]);
    expect(outside).toEqual([]); // nothing from a CDN
  });
});
