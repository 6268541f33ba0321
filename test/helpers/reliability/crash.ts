/**
 * One crash-and-resume trial: a real `tributary sync` child process is killed with SIGKILL at a random
 * point of its progress, re-run (sometimes killed again) and finally run to completion. The destination
 * must then hold exactly what a clean sync produces: the same rows, every value the same (sync-time
 * columns aside), the same column types, no duplicate keys, soft-delete flags on exactly the deleted
 * records, and every stream's state complete.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHellobatonSimulator } from '../../../src/connectors/hellobaton/simulator/index.js';
import { startHumaansSimulator } from '../../../src/connectors/humaans/simulator/index.js';
import type { SimulatorHandle } from '../../../src/simulator/index.js';
import { type CliResult, runCli } from '../cli.js';
import { syncConnector } from '../humaans.js';
import { diffDumps, diffTypes } from './diff.js';
import { rng } from './env.js';
import { startEvolvingApi } from './evolving-api.js';
import { D1_DUCKDB_BIG_DOUBLE_TEXT, D2_DUCKDB_WAL_REPLAY, type KnownDefect } from './known-defects.js';
import { runKilled, summaryOf, tail } from './run.js';
import { type DestKind, makeTarget, type Target } from './targets.js';

/** `humaans-windows`: Humaans read in parallel keyset windows (`--windows 8`), killed at several points. */
export type ScenarioConnector = 'humaans' | 'humaans-windows' | 'hellobaton' | 'evolution';

export interface Scenario {
  connector: ScenarioConnector;
  dest: DestKind;
}

export interface TrialReport {
  /** SIGKILLs that hit a running sync. */
  kills: number;
  /** Kill attempts that came too late (the sync had finished). */
  late: number;
  notes: string[];
  /** Set when the trial ran into a defect pinned in known-defects.ts (counted apart, not a pass). */
  knownDefect?: string;
}

class TrialFailure extends Error {}

class KnownDefectHit extends Error {
  constructor(readonly defect: KnownDefect) {
    super(`known defect ${defect.id}`);
  }
}

function check(cond: unknown, message: () => string): asserts cond {
  if (!cond) throw new TrialFailure(message());
}

interface Phase {
  /** How many times this sync is killed before it is allowed to finish. */
  kills: number;
  /** Estimated list requests of a clean run, to pick the kill points from. */
  estimate: number;
  extraArgs?: string[];
}

/** A run that failed the way an open known defect fails ends the trial as a known-defect hit. */
function knownDefectIn(r: CliResult): void {
  const d2 = D2_DUCKDB_WAL_REPLAY;
  if (r.code !== 0 && d2.open && d2.signature!.test(r.stderr)) throw new KnownDefectHit(d2);
}

/** Run a sync, killing it `phase.kills` times at random points, then to completion. */
async function killAndResume(
  args: string[],
  phase: Phase,
  progress: () => number,
  random: () => number,
  report: TrialReport,
  label: string,
): Promise<void> {
  for (let k = 0; k < phase.kills; k++) {
    // A few kills land during start-up (destination open, DDL); the rest at a random request.
    const early = random() < 0.15;
    const plan = early
      ? { delayMs: Math.floor(random() * 400), deadlineMs: 30_000 }
      : {
          progress,
          afterRequests: 1 + Math.floor(random() * Math.max(1, phase.estimate)),
          delayMs: Math.floor(random() * 25),
          deadlineMs: 30_000,
        };
    const run = await runKilled(args, plan);
    if (run.killed) {
      report.kills++;
      report.notes.push(`${label}: killed ${run.at}`);
    } else {
      report.late++;
      knownDefectIn(run.result);
      check(
        run.result.code === 0,
        () => `${label}: an unkilled run failed (exit ${run.result.code}): ${tail(run.result.stderr)}`,
      );
      return;
    }
  }
  const final = await runCli(args);
  knownDefectIn(final);
  check(
    final.code === 0,
    () =>
      `${label}: the run after the kill failed (exit ${final.code}): ${tail(final.stderr)}\n${tail(final.stdout, 800)}`,
  );
  const summary = summaryOf(final);
  check(summary?.status === 'succeeded', () => `${label}: summary status ${summary?.status}`);
}

async function checkCommon(trial: Target, streams: string[], label: string): Promise<void> {
  const states = await trial.states();
  for (const s of streams) {
    const st = states[s] as { complete?: boolean } | undefined;
    check(st?.complete === true, () => `${label}: state of ${s} is not complete: ${JSON.stringify(st)}`);
  }
  for (const table of streams) {
    const [r] = await trial.query(
      `select count(*) as n, count(distinct id) as d from "${trial.namespace}"."${table}"`,
    );
    check(
      Number(r!.n) === Number(r!.d),
      () => `${label}: ${table} has duplicate primary keys (${r!.n} rows, ${r!.d} ids)`,
    );
  }
  const runs = await trial.query(
    `select status from "${trial.namespace}"._tributary_runs order by started_at desc limit 1`,
  );
  check(runs[0]?.status === 'succeeded', () => `${label}: the last run is ${runs[0]?.status}`);
}

function pages(n: number, size: number): number {
  return Math.floor(n / size) + 1;
}

export async function runTrial(s: Scenario, dir: string, trial: number, seed: number): Promise<TrialReport> {
  const random = rng(seed);
  const label = `${s.connector}→${s.dest} trial ${trial} (seed ${seed})`;
  const report: TrialReport = { kills: 0, late: 0, notes: [] };
  const name = `${s.connector}-${s.dest}-${trial}`;
  const target = makeTarget(s.dest, dir, name, `rel_${s.connector}`);
  const reference = makeTarget(s.dest, dir, `${name}-ref`, `rel_${s.connector}`);
  const batchRows = [20, 50, 100, 1000][Math.floor(random() * 4)]!;
  try {
    if (s.connector === 'humaans') await humaansTrial(false);
    else if (s.connector === 'humaans-windows') await humaansTrial(true);
    else if (s.connector === 'hellobaton') await hellobatonTrial();
    else await evolutionTrial();
  } catch (err) {
    if (err instanceof KnownDefectHit) {
      report.knownDefect = err.defect.id;
      report.notes.push(`hit known defect ${err.defect.id}: ${err.defect.summary}`);
      return report;
    }
    if (err instanceof TrialFailure) {
      err.message = `${label} [batch ${batchRows}; ${report.notes.join('; ') || 'no kill landed'}]\n  ${err.message}`;
    }
    throw err;
  } finally {
    await target.drop().catch(() => undefined);
    await reference.drop().catch(() => undefined);
  }
  return report;

  function syncArgs(config: string, extra: string[] = []): string[] {
    const connector =
      s.connector === 'evolution'
        ? 'hellobaton'
        : s.connector === 'humaans-windows'
          ? 'humaans'
          : s.connector;
    return [
      'sync',
      connector,
      '--config',
      config,
      ...target.args,
      '--batch-rows',
      String(batchRows),
      '--no-progress',
      '--json',
      ...extra,
    ];
  }

  async function humaansTrial(windowed: boolean): Promise<void> {
    // Windowed: more records, so a first sync splits into several windows and each kill lands among them.
    const sim = await startHumaansSimulator({
      seed,
      records: windowed ? 3000 : 1500,
      latencyMs: windowed ? 5 : 2,
    });
    const extra = windowed ? ['--windows', String([4, 8][Math.floor(random() * 2)])] : [];
    if (windowed) report.notes.push(`windows ${extra[1]}`);
    try {
      const pageSize = [25, 50][Math.floor(random() * 2)]!;
      const cfg = {
        api_token: 'sim-token',
        base_url: sim.baseUrl,
        initial_sync_days: 0,
        max_records_per_page: pageSize,
      };
      const config = join(dir, `${name}.json`);
      writeFileSync(config, JSON.stringify(cfg));
      const streams = sim.streams();
      const full = streams.reduce((a, st) => a + pages(sim.records(st).length, pageSize), 0);
      const progress = () => sim.requestCount();
      // First sync: killed half of the time; windowed, killed two to four times (many points of one read).
      await killAndResume(
        syncArgs(config, extra),
        { kills: windowed ? 2 + Math.floor(random() * 3) : random() < 0.5 ? 1 : 0, estimate: full },
        progress,
        random,
        report,
        'first sync',
      );
      // Changes on several streams (Humaans has no deletes an incremental sync could see: creates and updates).
      let changed = 0;
      for (const [stream, n] of [
        ['documents', 160],
        ['people', 30],
        ['time_away', 40],
      ] as const) {
        const m = sim.mutate({
          stream,
          creates: Math.ceil(n / 4),
          updates: n,
          deletes: 0,
          seed: seed + changed,
        });
        changed += m.created.length + m.updated.length;
      }
      // Second, incremental sync: killed once or twice.
      await killAndResume(
        syncArgs(config, extra),
        { kills: 1 + Math.floor(random() * 2), estimate: Math.ceil(changed / pageSize) + streams.length * 2 },
        progress,
        random,
        report,
        'incremental sync',
      );
      // The reference: one clean sync of the simulator's current data, with the same engine.
      const run = await syncConnector('humaans', cfg, reference.url, {
        namespace: reference.namespace,
        batchRows: 500,
      });
      check(run.status === 'succeeded', () => `reference sync failed: ${JSON.stringify(run.error)}`);
      await compare(streams);
      // The incremental state's cursor is the newest updatedAt the stream holds.
      const states = await target.states();
      for (const st of streams) {
        const max = sim
          .records(st)
          .map((r) => String(r.updatedAt))
          .sort()
          .at(-1);
        const state = states[st] as { mode?: string; source?: { cursor?: string } };
        check(
          state.mode === 'incremental',
          () => `state of ${st} is not incremental: ${JSON.stringify(state)}`,
        );
        check(
          state.source?.cursor === max,
          () => `state cursor of ${st} is ${state.source?.cursor}, newest record ${max}`,
        );
      }
    } finally {
      await sim.close();
    }
  }

  async function hellobatonTrial(): Promise<void> {
    const sim: SimulatorHandle = await startHellobatonSimulator({
      seed,
      records: 900,
      rateLimitPerMinute: 0,
      latencyMs: 2,
    });
    try {
      const pageSize = 20;
      const cfg = {
        api_key: 'sim-key',
        company: 'acme',
        base_url: sim.baseUrl,
        page_size: pageSize,
        requests_per_minute: 100_000,
        page_concurrency: [1, 3, 8][Math.floor(random() * 3)]!,
      };
      const config = join(dir, `${name}.json`);
      writeFileSync(config, JSON.stringify(cfg));
      const streams = sim.streams();
      const full = streams.reduce((a, st) => a + pages(sim.records(st).length, pageSize), 0);
      const progress = () => sim.requestCount();
      await killAndResume(
        syncArgs(config),
        { kills: random() < 0.5 ? 1 : 0, estimate: full },
        progress,
        random,
        report,
        'first sync',
      );
      const deleted = new Map<string, number[]>();
      for (const [stream, d] of [
        ['tasks', 7],
        ['activity', 4],
        ['users', 1],
      ] as const) {
        const m = sim.mutate({ stream, deletes: d, updates: 6, creates: 3, seed: seed + d });
        deleted.set(
          stream,
          (m.deleted as number[]).map(Number).sort((a, b) => a - b),
        );
      }
      const replace = random() < 0.3;
      const extra = replace ? ['--full-refresh', '--replace'] : [];
      if (replace) report.notes.push('second sync in replace mode');
      await killAndResume(
        syncArgs(config, extra),
        { kills: 1 + Math.floor(random() * 2), estimate: full },
        progress,
        random,
        report,
        'second sync',
      );
      const run = await syncConnector('hellobaton', cfg, reference.url, {
        namespace: reference.namespace,
        batchRows: 500,
      });
      check(run.status === 'succeeded', () => `reference sync failed: ${JSON.stringify(run.error)}`);
      // Live rows equal a clean sync of the current data; the soft-deleted rows are exactly the deleted records.
      const live = await target.dump({ where: 'not _tributary_deleted' });
      const want = await reference.dump();
      const d = diffDumps(live, want, 'live rows');
      check(d === undefined, () => d!);
      for (const st of streams) {
        const got = (
          await target.query(
            `select id from "${target.namespace}"."${st}" where _tributary_deleted order by id`,
          )
        ).map((r) => Number(r.id));
        const expected = replace ? [] : (deleted.get(st) ?? []);
        check(
          JSON.stringify(got) === JSON.stringify(expected),
          () =>
            `${st}: soft-deleted ids ${JSON.stringify(got)}, deleted by the API ${JSON.stringify(expected)}`,
        );
      }
      const t = diffTypes(await target.columnTypes(), await reference.columnTypes());
      check(t === undefined, () => t!);
      await checkCommon(target, streams, 'after the second sync');
    } finally {
      await sim.close();
    }
  }

  async function evolutionTrial(): Promise<void> {
    const api = await startEvolvingApi({
      records: 400,
      latencyMs: 6,
      big: s.dest !== 'duckdb' || !D1_DUCKDB_BIG_DOUBLE_TEXT.open,
    });
    try {
      const pageSize = 20;
      const cfg = {
        api_key: 'evo-key',
        company: 'acme',
        base_url: api.url,
        page_size: pageSize,
        requests_per_minute: 100_000,
        page_concurrency: [1, 4][Math.floor(random() * 2)]!,
      };
      const config = join(dir, `${name}.json`);
      writeFileSync(config, JSON.stringify(cfg));
      const streamArgs = ['--streams', 'users'];
      const estimate = pages(400, pageSize);
      api.version = 1;
      // Both syncs widen columns as their pages go on: both are killed, so kills land during evolution.
      await killAndResume(
        syncArgs(config, streamArgs),
        { kills: 1, estimate },
        api.served,
        random,
        report,
        'first sync',
      );
      api.version = 2;
      await killAndResume(
        syncArgs(config, streamArgs),
        { kills: 1 + Math.floor(random() * 2), estimate },
        api.served,
        random,
        report,
        'second sync',
      );
      // The reference: the same two syncs, clean.
      for (const v of [1, 2] as const) {
        api.version = v;
        const run = await syncConnector('hellobaton', cfg, reference.url, {
          namespace: reference.namespace,
          streams: ['users'],
          batchRows: 500,
        });
        check(run.status === 'succeeded', () => `reference sync ${v} failed: ${JSON.stringify(run.error)}`);
      }
      await compare(['users']);
      const deleted = (
        await target.query(`select id from "${target.namespace}".users where _tributary_deleted order by id`)
      ).map((r) => Number(r.id));
      const gone = api.ids(1).filter((id) => !api.ids(2).includes(id));
      check(
        JSON.stringify(deleted) === JSON.stringify(gone),
        () => `soft-deleted ${JSON.stringify(deleted)}, want ${JSON.stringify(gone)}`,
      );
    } finally {
      await api.close();
    }
  }

  async function compare(streams: string[]): Promise<void> {
    const d = diffDumps(await target.dump(), await reference.dump());
    check(d === undefined, () => d!);
    const t = diffTypes(await target.columnTypes(), await reference.columnTypes());
    check(t === undefined, () => t!);
    await checkCommon(target, streams, 'after the last sync');
  }
}
