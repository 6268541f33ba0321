/**
 * The fault matrix: every simulator fault at each rate, against both connectors. Each sync must either
 * land an exact copy (the same rows and values as a clean sync of the same data) or, where retries run
 * out by design, fail cleanly: an error that names the cause, and state that points at the last page
 * committed, with exactly the rows before it in the table; a re-run then completes the copy.
 *
 * Defaults are kept (retry_attempts 3 for Humaans, max_retries 5 for Hellobaton) except where a cell
 * says otherwise: at a 30% fault rate the retries are raised to 8 (with 3–5 retries some request of a
 * 30-request sync runs out of them by design, which the exhaustion cells test on purpose), and hang cells
 * use request_timeout_seconds 1 so a hang costs one second, not thirty.
 *
 * Quick (npm test): a representative subset. Full (npm run test:reliability): every cell.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHellobatonSimulator } from '../../src/connectors/hellobaton/simulator/index.js';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import type { RunSummary } from '../../src/engine/summary.js';
import {
  FaultPlan,
  type FaultKind,
  type FaultOptions,
  type SimulatorHandle,
} from '../../src/simulator/index.js';
import { tempDir } from '../helpers/duckdb.js';
import { syncConnector } from '../helpers/humaans.js';
import { checkStateMatchesRows } from '../helpers/reliability/consistency.js';
import { diffDumps } from '../helpers/reliability/diff.js';
import { FULL, recordFigures } from '../helpers/reliability/env.js';
import {
  closeAdmin,
  type DestKind,
  duckDbTarget,
  mysqlAvailable,
  mysqlTarget,
  type Target,
} from '../helpers/reliability/targets.js';

type Connector = 'humaans' | 'hellobaton';
/**
 * Destinations the matrix writes into. The faults are the API's; MySQL runs them too because its DDL is not
 * transactional and its bulk path differs. Quick: MySQL only for the mixed-fault cells and one exhaustion.
 */
type FaultDest = Extract<DestKind, 'duckdb' | 'mysql'>;
const DESTS: FaultDest[] = ['duckdb', 'mysql'];
const mysqlOk = await mysqlAvailable();

/** A fresh target: a DuckDB file whose namespace is the connector, or a MySQL namespace of its own. */
function makeTarget(dest: FaultDest, dir: string, name: string, c: Connector): Target {
  return dest === 'duckdb' ? duckDbTarget(dir, name, c) : mysqlTarget(name.replace(/\W/g, '_'));
}

/** ` (mysql)` in a label; nothing for DuckDB, so its cells keep their names. */
function suffix(dest: FaultDest): string {
  return dest === 'duckdb' ? '' : ` (${dest})`;
}
const SEED = 4242;
const RECORDS: Record<Connector, number> = { humaans: 300, hellobaton: 300 };
const MAIN_STREAM: Record<Connector, string> = { humaans: 'documents', hellobaton: 'tasks' };

function startSim(c: Connector, faults?: FaultOptions): Promise<SimulatorHandle> {
  return c === 'humaans'
    ? startHumaansSimulator({ seed: SEED, records: RECORDS.humaans, faults })
    : startHellobatonSimulator({ seed: SEED, records: RECORDS.hellobaton, rateLimitPerMinute: 0, faults });
}

function config(
  c: Connector,
  sim: SimulatorHandle,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return c === 'humaans'
    ? {
        api_token: 'sim-token',
        base_url: sim.baseUrl,
        initial_sync_days: 0,
        max_records_per_page: 25,
        ...extra,
      }
    : {
        api_key: 'sim-key',
        company: 'acme',
        base_url: sim.baseUrl,
        page_size: 20,
        requests_per_minute: 100_000,
        ...extra,
      };
}

/** The retry setting's name per connector. */
const RETRIES: Record<Connector, string> = { humaans: 'retry_attempts', hellobaton: 'max_retries' };

interface Cell {
  kind: FaultKind | 'mixed';
  rate: number;
  /** A burst of this many consecutive faults at the start, before the rate-based ones. */
  burst?: number;
  extra?: (c: Connector) => Record<string, unknown>;
  faultOptions?: Partial<FaultOptions>;
  quick?: Connector[];
  why?: string;
}

const KINDS_5XX: FaultKind[] = ['500', '502', '503'];
const CELLS: Cell[] = [
  ...KINDS_5XX.flatMap((kind): Cell[] => [
    { kind, rate: 0.1, quick: kind === '502' ? ['humaans'] : [] },
    { kind, rate: 0.3, extra: (c) => ({ [RETRIES[c]]: 8 }), quick: kind === '503' ? ['hellobaton'] : [] },
  ]),
  { kind: '429', rate: 0.1, burst: 3, quick: ['hellobaton'] },
  { kind: '429', rate: 0.3, burst: 3, extra: (c) => ({ [RETRIES[c]]: 8 }) },
  { kind: '429-no-retry-after', rate: 0.1, burst: 3, quick: ['humaans'] },
  { kind: '429-no-retry-after', rate: 0.3, extra: (c) => ({ [RETRIES[c]]: 8 }) },
  { kind: 'reset', rate: 0.1, quick: ['humaans'] },
  { kind: 'reset', rate: 0.3, extra: (c) => ({ [RETRIES[c]]: 8 }), quick: ['hellobaton'] },
  { kind: 'hang', rate: 0.1, extra: () => ({ request_timeout_seconds: 1 }), quick: ['hellobaton'] },
  { kind: 'hang', rate: 0.3, extra: (c) => ({ request_timeout_seconds: 1, [RETRIES[c]]: 8 }) },
  { kind: 'truncated', rate: 0.1, quick: ['hellobaton'] },
  { kind: 'truncated', rate: 0.3, extra: (c) => ({ [RETRIES[c]]: 8 }), quick: ['humaans'] },
  { kind: 'malformed', rate: 0.1 },
  { kind: 'malformed', rate: 0.3, extra: (c) => ({ [RETRIES[c]]: 8 }) },
  { kind: 'html', rate: 0.1, quick: ['humaans'] },
  { kind: 'html', rate: 0.3, extra: (c) => ({ [RETRIES[c]]: 8 }) },
  { kind: 'slow', rate: 0.1, faultOptions: { slowBytesPerSecond: 16_384 }, quick: ['humaans'] },
  { kind: 'slow', rate: 0.3, faultOptions: { slowBytesPerSecond: 16_384 } },
  {
    kind: 'slow',
    rate: 0.1,
    faultOptions: { slowBytesPerSecond: 512 },
    extra: () => ({ request_timeout_seconds: 1 }),
    why: 'a drip slower than the timeout: the whole-response deadline cuts it and the retry succeeds',
    quick: ['hellobaton'],
  },
  { kind: 'mixed', rate: 0.2, extra: (c) => ({ [RETRIES[c]]: 8 }), quick: ['humaans', 'hellobaton'] },
];

/** Faults the plan injected over `requests` list requests (the simulator draws once per list request). */
function injected(options: FaultOptions, burst: number, requests: number): number {
  const plan = new FaultPlan(options, SEED);
  let n = 0;
  for (let i = burst; i < requests; i++) if (plan.draw() !== undefined) n++;
  return Math.min(burst, requests) + n;
}

const figures = { faultCells: 0, faultCellsPassed: 0, faultsInjected: 0, exhaustionCells: 0 };

describe(`fault matrix (${FULL ? 'full' : 'quick'})`, () => {
  let dir: string;
  const reference: Partial<Record<`${Connector}:${FaultDest}`, Record<string, string[]>>> = {};

  beforeAll(async () => {
    dir = tempDir('tributary-faults-');
    for (const dest of DESTS) {
      if (dest === 'mysql' && !mysqlOk) continue;
      for (const c of ['humaans', 'hellobaton'] as Connector[]) {
        const sim = await startSim(c);
        const t = makeTarget(dest, dir, `${c}-reference`, c);
        try {
          const run = await syncConnector(c, config(c, sim), t.url, { namespace: t.namespace });
          expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
          reference[`${c}:${dest}`] = withoutOrigin(await t.dump(), sim);
        } finally {
          await sim.close();
          if (dest !== 'duckdb') await t.drop();
        }
      }
    }
  }, 240_000);

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await closeAdmin();
    recordFigures('fault-matrix', figures);
  });

  for (const dest of DESTS)
    for (const c of ['humaans', 'hellobaton'] as Connector[]) {
      CELLS.forEach((cell, i) => {
        if (!FULL && !(cell.quick?.includes(c) && (dest === 'duckdb' || cell.kind === 'mixed'))) return;
        const label = `${c}: ${cell.kind} at ${cell.rate * 100}%${cell.burst ? ` after a burst of ${cell.burst}` : ''}${cell.why ? ` (${cell.why})` : ''}${suffix(dest)}`;
        (dest === 'mysql' && !mysqlOk ? it.skip : it)(
          `${label}: an exact copy`,
          async () => {
            figures.faultCells++;
            const kinds: FaultKind[] | undefined = cell.kind === 'mixed' ? undefined : [cell.kind];
            const options: FaultOptions = { rate: cell.rate, kinds, hangMs: 30_000, ...cell.faultOptions };
            const sim = await startSim(c, options);
            // A burst (at least one fault) first, so even a lucky draw at 10% injects something.
            const burst = cell.burst ?? 1;
            sim.failNext(burst, cell.kind === 'mixed' ? '503' : cell.kind);
            const target = makeTarget(dest, dir, `${c}-cell-${i}`, c);
            try {
              const run: RunSummary = await syncConnector(c, config(c, sim, cell.extra?.(c)), target.url, {
                namespace: target.namespace,
                batchRows: 40,
              });
              figures.faultsInjected += injected(options, burst, sim.requestCount());
              expect(run.status, `${label}: ${JSON.stringify(run.error)}`).toBe('succeeded');
              const d = diffDumps(withoutOrigin(await target.dump(), sim), reference[`${c}:${dest}`]!, label);
              expect(d, d).toBeUndefined();
              for (const [stream, st] of Object.entries(await target.states()))
                expect((st as { complete?: boolean }).complete, `${stream} state`).toBe(true);
              if (cell.kind !== 'slow' || cell.faultOptions?.slowBytesPerSecond === 512)
                expect(
                  run.streams.reduce((a, s) => a + s.metrics.retries, 0),
                  'retries',
                ).toBeGreaterThan(0);
              figures.faultCellsPassed++;
            } finally {
              await sim.close();
              if (dest !== 'duckdb') await target.drop();
            }
          },
          180_000,
        );
      });
    }

  // When retries run out by design: a clean failure. The fault starts after a few good pages and never stops.
  interface Exhaustion {
    kind: FaultKind;
    code: string;
    words: RegExp;
    extra?: Record<string, unknown>;
    quick?: Connector[];
  }
  const EXHAUSTION: Exhaustion[] = [
    { kind: '503', code: 'TRB_SOURCE_HTTP', words: /HTTP 503.*gave up after 2 attempts/, quick: ['humaans'] },
    { kind: '500', code: 'TRB_SOURCE_HTTP', words: /HTTP 500.*gave up after 2 attempts/ },
    { kind: '429', code: 'TRB_RATE_LIMITED', words: /still rate limited \(HTTP 429\) after 1 retries/ },
    {
      kind: '429-no-retry-after',
      code: 'TRB_RATE_LIMITED',
      words: /still rate limited \(HTTP 429\)/,
      quick: ['hellobaton'],
    },
    { kind: 'reset', code: 'TRB_SOURCE_NETWORK', words: /network error.*gave up after 2 attempts/ },
    {
      kind: 'hang',
      code: 'TRB_SOURCE_TIMEOUT',
      words: /no complete response within 1000 ms.*gave up after 2 attempts/,
      extra: { request_timeout_seconds: 1 },
    },
    { kind: 'truncated', code: 'TRB_SOURCE_NETWORK', words: /gave up after 2 attempts/ },
    { kind: 'malformed', code: 'TRB_SOURCE_BAD_RESPONSE', words: /malformed JSON.*gave up after 2 attempts/ },
    {
      kind: 'html',
      code: 'TRB_SOURCE_BAD_RESPONSE',
      words: /an HTML page.*gave up after 2 attempts/,
      quick: ['humaans'],
    },
  ];

  for (const dest of DESTS)
    for (const c of ['humaans', 'hellobaton'] as Connector[]) {
      for (const ex of EXHAUSTION) {
        if (!FULL && !(ex.quick?.includes(c) && (dest === 'duckdb' || ex.kind === '503'))) continue;
        (dest === 'mysql' && !mysqlOk ? it.skip : it)(
          `${c}: ${ex.kind} that never stops after 3 good pages fails cleanly (${ex.code}), state at the last good page${suffix(dest)}`,
          async () => {
            figures.exhaustionCells++;
            figures.faultCells++;
            const stream = MAIN_STREAM[c];
            const sim = await startSim(c, { hangMs: 30_000 });
            const target = makeTarget(dest, dir, `${c}-exhaust-${ex.kind}`, c);
            const cfg = config(c, sim, {
              [RETRIES[c]]: 1,
              ...(c === 'hellobaton' ? { page_concurrency: 1 } : {}),
              ...ex.extra,
            });
            try {
              let goodPages = 0;
              const watch = setInterval(() => {
                if (sim.requestCount(stream) >= 3) {
                  clearInterval(watch);
                  // Faults are drawn when a request arrives: every request counted so far was answered well.
                  goodPages = sim.requestCount(stream);
                  sim.setFaults({ rate: 1, kinds: [ex.kind], hangMs: 30_000 });
                }
              }, 1);
              // One batch per page, so every good page is committed before the next is fetched.
              const run = await syncConnector(c, cfg, target.url, {
                namespace: target.namespace,
                streams: [stream],
                batchRows: 1,
              });
              clearInterval(watch);
              figures.faultsInjected += sim.requestCount(stream) - 3;
              expect(run.status).toBe('failed');
              expect(run.error?.code, JSON.stringify(run.error)).toBe(ex.code);
              expect(run.error?.message).toMatch(ex.words);
              expect(run.error?.message).not.toContain(c === 'humaans' ? 'sim-token' : 'sim-key');
              const state = (await target.states())[stream] as {
                complete: boolean;
                source: Record<string, unknown>;
              };
              expect(state.complete).toBe(false);
              await checkStateMatchesRows(c, sim, target, { pageSize: 20, streams: [stream] });
              // …and the checkpoint is the last good page itself, not an earlier one.
              if (c === 'hellobaton') expect(Number(state.source.page) - 1).toBe(goodPages);
              else {
                const ids = new Set(
                  (await target.query(`select id from "${target.namespace}"."${stream}"`)).map((r) =>
                    String(r.id),
                  ),
                );
                const newest = sim
                  .records(stream)
                  .filter((r) => ids.has(String(r.id)))
                  .map((r) => String(r.updatedAt))
                  .sort()
                  .at(-1);
                expect(state.source.cursor).toBe(newest);
              }
              expect(Object.keys(state.source), 'a resumable checkpoint').not.toHaveLength(0);
              // The run is recorded as failed, with the cause.
              const [runRow] = await target.query(
                `select status, error from "${target.namespace}"._tributary_runs`,
              );
              expect(runRow).toMatchObject({ status: 'failed' });
              expect(String(runRow!.error)).toContain(ex.code);
              // And once the API recovers, a re-run completes the copy exactly.
              sim.setFaults(undefined);
              const again = await syncConnector(c, cfg, target.url, {
                namespace: target.namespace,
                streams: [stream],
                batchRows: 1,
              });
              expect(again.status, JSON.stringify(again.error)).toBe('succeeded');
              const got = withoutOrigin(await target.dump(), sim);
              const d = diffDumps(
                { [stream]: got[stream]! },
                { [stream]: reference[`${c}:${dest}`]![stream]! },
              );
              expect(d, d).toBeUndefined();
              figures.faultCellsPassed++;
            } finally {
              await sim.close();
              if (dest !== 'duckdb') await target.drop();
            }
          },
          120_000,
        );
      }
    }
});

/** Hellobaton records hold absolute URLs of the server that answered: compare them without its port. */
function withoutOrigin(dump: Record<string, string[]>, sim: SimulatorHandle): Record<string, string[]> {
  const origin = new URL(sim.baseUrl).origin;
  return Object.fromEntries(
    Object.entries(dump).map(([t, rows]) => [t, rows.map((r) => r.replaceAll(origin, 'ORIGIN')).sort()]),
  );
}
