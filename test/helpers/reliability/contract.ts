/**
 * What the contract matrix and the contract property test share: a simulator started with contract modes,
 * a guarded in-process sync (aborted and flagged if it loops or stalls), and the one verdict every sync
 * against a misbehaving API must reach:
 *
 * - EITHER an exact copy: every live record of the simulator has its row, with the values a clean sync of
 *   the same data writes (or, for data modes, the exact values of the simulator's own records), and no
 *   live record is marked `_tributary_deleted`;
 * - OR a clear failure: a typed error naming the stream, no live record marked deleted, and the stream's
 *   state not advanced to a new complete state.
 *
 * Rows of records that no longer exist are not judged (Humaans has no deletes to sweep; a Hellobaton pass
 * that could not be proven complete must not sweep). Records inserted while the sync paged are judged as
 * of the moment it started: they may be left to the next sync (see VerdictInput.bornDuring).
 */
import { expect } from 'vitest';
import { startHellobatonSimulator } from '../../../src/connectors/hellobaton/simulator/index.js';
import { startHumaansSimulator } from '../../../src/connectors/humaans/simulator/index.js';
import type { RunSummary } from '../../../src/engine/summary.js';
import type { ContractMode, SimulatorHandle } from '../../../src/simulator/index.js';
import { syncConnector } from '../humaans.js';
import type { Target } from './targets.js';

export type Connector = 'humaans' | 'hellobaton';
export const MAIN_STREAM: Record<Connector, string> = { humaans: 'documents', hellobaton: 'tasks' };
/** Humaans: 1000 documents (enough pages for an ignored filter to loop); Hellobaton: 290 tasks (29% of 1000). */
export const RECORDS: Record<Connector, number> = { humaans: 1000, hellobaton: 1000 };

export function startSim(
  c: Connector,
  seed: number,
  modes: ContractMode[] = [],
  records = RECORDS[c],
): Promise<SimulatorHandle> {
  return c === 'humaans'
    ? startHumaansSimulator({ seed, records, contract: { modes, seed } })
    : startHellobatonSimulator({ seed, records, rateLimitPerMinute: 0, contract: { modes, seed } });
}

/**
 * Connector config with the largest page each connector allows, so a capped server (Humaans 250 → 100,
 * Hellobaton 100 → 25) really caps; retries few and short, so a cell that fails does so quickly.
 */
export function contractConfig(
  c: Connector,
  sim: SimulatorHandle,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const base =
    c === 'humaans'
      ? {
          api_token: 'sim-token',
          base_url: sim.baseUrl,
          initial_sync_days: 0,
          max_records_per_page: 250,
          retry_attempts: 2,
          request_timeout_seconds: 10,
        }
      : {
          api_key: 'sim-key',
          company: 'acme',
          base_url: sim.baseUrl,
          page_size: 100,
          requests_per_minute: 100_000,
          max_retries: 2,
          request_timeout_seconds: 10,
        };
  return { ...base, ...extra };
}

export interface GuardedRun {
  run?: RunSummary;
  /** The sync threw instead of returning a summary (an engine bug; reported as such). */
  thrown?: unknown;
  /** Aborted because it made more list requests than any honest pass needs. */
  looped: boolean;
  /** Aborted because it took longer than the deadline. */
  stalled: boolean;
  requests: number;
}

/** A pass of the main stream takes at most ~20 list requests here; 200 is a loop, not a slow sync. */
export const LOOP_REQUESTS = 200;

/** Sync the main stream in-process, aborted (and flagged) if it loops or stalls. */
export async function guardedSync(
  c: Connector,
  sim: SimulatorHandle,
  target: Target,
  opts: {
    deadlineMs?: number;
    fullRefresh?: boolean;
    writeMode?: 'upsert' | 'replace';
    config?: Record<string, unknown>;
  } = {},
): Promise<GuardedRun> {
  const stream = MAIN_STREAM[c];
  const abort = new AbortController();
  const start = sim.requestCount(stream);
  let looped = false;
  let stalled = false;
  const watch = setInterval(() => {
    if (sim.requestCount(stream) - start > LOOP_REQUESTS) {
      looped = true;
      abort.abort(new Error(`more than ${LOOP_REQUESTS} list requests: a loop`));
    }
  }, 5);
  const deadline = setTimeout(() => {
    stalled = true;
    abort.abort(new Error('deadline'));
  }, opts.deadlineMs ?? 60_000);
  try {
    const run = await syncConnector(c, contractConfig(c, sim, opts.config), target.url, {
      namespace: target.namespace,
      streams: [stream],
      signal: abort.signal,
      fullRefresh: opts.fullRefresh,
      writeMode: opts.writeMode,
    });
    return { run, looped, stalled, requests: sim.requestCount(stream) - start };
  } catch (thrown) {
    return { thrown, looped, stalled, requests: sim.requestCount(stream) - start };
  } finally {
    clearInterval(watch);
    clearTimeout(deadline);
  }
}

export type Row = Record<string, unknown>;

/** The main stream's rows by id (ids as exact text). */
export async function rowsById(c: Connector, target: Target): Promise<Map<string, Row>> {
  const tables = await target.query(
    `select table_name from information_schema.tables where table_schema = '${target.namespace}' and table_name = '${MAIN_STREAM[c]}'`,
  );
  if (tables.length === 0) return new Map();
  const rows = await target.query(`select * from "${target.namespace}"."${MAIN_STREAM[c]}"`);
  return new Map(rows.map((r) => [String(r.id), r]));
}

/** The main stream's canonical dump (volatile columns out), by id. */
export async function dumpById(c: Connector, target: Target): Promise<Map<string, string>> {
  const dump = (await target.dump())[MAIN_STREAM[c]] ?? [];
  return new Map(dump.map((line) => [String((JSON.parse(line) as Row).id), line]));
}

export function isDeleted(row: Row): boolean {
  const d = row._tributary_deleted;
  return d === true || d === 'true' || d === 1 || d === 't';
}

export async function mainState(c: Connector, target: Target): Promise<Record<string, unknown> | undefined> {
  return (await target.states())[MAIN_STREAM[c]] as Record<string, unknown> | undefined;
}

/** Live ids of the simulator's main stream, exact. */
export function liveIds(c: Connector, sim: SimulatorHandle): string[] {
  return sim.records(MAIN_STREAM[c]).map((r) => String(r.id));
}

/** How a verdict came out, for the figures and the report. */
export type Outcome = 'exact' | 'failed-cleanly';

/** Error codes that count as "a clear typed error" for a contract the API broke. */
const CLEAR_CODES = /^TRB_(SOURCE_CONTRACT|SOURCE_BAD_RESPONSE|SOURCE_RECORD|DEST_SCHEMA)$/;

export interface VerdictInput {
  c: Connector;
  sim: SimulatorHandle;
  target: Target;
  sync: GuardedRun;
  /** The main stream's state before this sync (a failed sync may leave it as it was). */
  stateBefore: Record<string, unknown> | undefined;
  /** What each live record's row must hold; undefined skips the value check (ids and flags only). */
  expectRow?: (id: string, row: Row, line: string | undefined) => string | undefined;
  label: string;
  /**
   * Live ids that did not exist when this sync started (inserted while it paged). A pass that began
   * before they existed may leave them to the next sync, so they may be missing; a row they do have must
   * still be right and not marked deleted.
   */
  bornDuring?: ReadonlySet<string>;
}

/**
 * The verdict (see the header): returns which way the sync went, or fails the test with the symptom.
 */
export async function verdict(v: VerdictInput): Promise<Outcome> {
  const { c, sim, target, sync, label } = v;
  const stream = MAIN_STREAM[c];
  expect(sync.looped, `${label}: the sync looped (${sync.requests} list requests)`).toBe(false);
  expect(sync.stalled, `${label}: the sync did not finish within its deadline`).toBe(false);
  expect(sync.thrown, `${label}: runSync threw instead of reporting`).toBeUndefined();
  const run = sync.run!;
  const live = liveIds(c, sim);
  const rows = await rowsById(c, target);
  const wronglyDeleted = live.filter((id) => rows.has(id) && isDeleted(rows.get(id)!));
  expect(
    wronglyDeleted,
    `${label}: ${wronglyDeleted.length} live records marked _tributary_deleted (sync ${run.status}), e.g. ${wronglyDeleted.slice(0, 3).join(', ')}`,
  ).toEqual([]);

  if (run.status === 'succeeded') {
    const missing = live.filter((id) => !rows.has(id) && !v.bornDuring?.has(id));
    expect(
      missing,
      `${label}: sync SUCCEEDED but ${missing.length} of ${live.length} live records have no row (${rows.size} rows), e.g. ${missing.slice(0, 3).join(', ')}`,
    ).toEqual([]);
    if (v.expectRow) {
      const lines = await dumpById(c, target);
      const wrong: string[] = [];
      for (const id of live) {
        if (!rows.has(id)) continue; // born during the sync (see bornDuring)
        const problem = v.expectRow(id, rows.get(id)!, lines.get(id));
        if (problem) wrong.push(`${id}: ${problem}`);
      }
      expect(
        wrong,
        `${label}: sync SUCCEEDED but ${wrong.length} of ${live.length} rows hold wrong values:\n  ${wrong.slice(0, 3).join('\n  ')}`,
      ).toEqual([]);
    }
    return 'exact';
  }

  const error = run.streams.find((s) => s.stream === stream)?.error ?? run.error;
  expect(error?.code, `${label}: failed without a clear typed error: ${JSON.stringify(error)}`).toMatch(
    CLEAR_CODES,
  );
  expect(error?.message, `${label}: the error does not name the stream`).toContain(stream);
  const after = await mainState(c, target);
  const advanced = after?.complete === true && JSON.stringify(after) !== JSON.stringify(v.stateBefore);
  expect(advanced, `${label}: the failed sync marked the state complete: ${JSON.stringify(after)}`).toBe(
    false,
  );
  return 'failed-cleanly';
}

/** Compare a number's text regardless of notation: `1e400`, `1E+400` and `1000…0` are the same number. */
export function sameNumber(got: unknown, want: string): boolean {
  if (got === null || got === undefined) return false;
  const a = canonicalNumber(String(got));
  return a !== undefined && a === canonicalNumber(want);
}

function canonicalNumber(text: string): string | undefined {
  const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  let digits = `${m[2]}${m[3] ?? ''}`;
  let exp = Number(m[4] ?? 0) - (m[3] ?? '').length;
  const lead = digits.search(/[1-9]/);
  if (lead < 0) return '0';
  digits = digits.slice(lead);
  while (digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    exp++;
  }
  return `${m[1] === '-' ? '-' : ''}${digits}e${exp}`;
}
