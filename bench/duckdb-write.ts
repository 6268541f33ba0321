/**
 * DuckDB destination write throughput and memory: the bulk staging paths, DuckDB's checkpoint threshold and
 * memory limit, side by side.
 *
 *   npx tsx bench/duckdb-write.ts [--rows 1000000] [--batch 20000] [--updates 100000] [--runs 1]
 *                                 [--variants appender,json,appender@16MB,appender/none]
 *                                 [--mode both|interleaved|isolated]
 *
 * A variant is `<staging>[@<checkpoint_threshold>][/<memory_limit>]`: staging is appender | json; the
 * threshold and the limit default to the destination's (256MB, 64MB); `/none` leaves DuckDB's own memory
 * limit (80% of RAM). An unmarked variant is the destination's default configuration. Every variant runs
 * with the CLI's thread count (cores − 1, at least 1).
 *
 * Each variant writes `--rows` Humaans-document-like rows (15 columns: 24-character ids, strings, a
 * bigint, two timestamps, NULLs) in batches of `--batch` into a fresh file through DuckDbDestination.write
 * (staging, upsert, state, one transaction per batch), then rewrites the first `--updates` rows (each an
 * update of an existing key). Generating rows is not timed. Two ways, both by default:
 *
 * - interleaved: all variants in one process, each batch written to every variant in turn. Load from
 *   anything else on the machine hits all variants alike, so their rows/s compare fairly on a busy box.
 * - isolated: each variant alone in a child process, for its own peak RSS (and rows/s when the box is quiet).
 *
 * Prints a Markdown table.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Row, TableSpec, WriteBatch } from '../src/destinations/destination.js';
import { DuckDbDestination, type DuckDbTuning } from '../src/destinations/duckdb/duckdb-destination.js';
import type { StagingMethod } from '../src/destinations/duckdb/duckdb-staging.js';
import { arg } from './arg.js';

const ROWS = Number(arg('rows', '1000000'));
const BATCH = Number(arg('batch', '20000'));
const UPDATES = Number(arg('updates', '100000'));
const RUNS = Number(arg('runs', '1'));
const VARIANTS = arg('variants', 'appender,json,appender@16MB,appender/none').split(',');
const CHILD = arg('child', '');
/** `both` (default), `interleaved` (fair rows/s on a busy machine) or `isolated` (adds peak RSS per variant). */
const MODE = arg('mode', 'both');

/** A Humaans document after flattening and snake_casing (the `documents` stream). */
export const SPEC: TableSpec = {
  stream: 'documents',
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: 'varchar' },
    { name: 'company_id', type: 'varchar' },
    { name: 'person_id', type: 'varchar' },
    { name: 'name', type: 'varchar' },
    { name: 'document_type_id', type: 'varchar' },
    { name: 'folder_id', type: 'varchar' },
    { name: 'link', type: 'varchar' },
    { name: 'file_id', type: 'varchar' },
    { name: 'file_filename', type: 'varchar' },
    { name: 'file_size', type: 'bigint' },
    { name: 'source', type: 'varchar' },
    { name: 'source_id', type: 'varchar' },
    { name: 'issue_date', type: 'varchar' },
    { name: 'created_at', type: 'timestamp' },
    { name: 'updated_at', type: 'timestamp' },
  ],
};

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A 24-character Humaans-style id, deterministic in `n` and `salt`. */
function humaansId(n: number, salt: number): string {
  let x = (Math.imul(n + 1, 2654435761) ^ Math.imul(salt + 7, 40503)) >>> 0;
  let out = '';
  for (let i = 0; i < 24; i++) {
    x = (Math.imul(x, 1103515245) + 12345 + n) >>> 0;
    out += ALPHABET[x % 62];
  }
  return out;
}

const TYPES = ['Contract', 'Payslip', 'Passport', 'Visa', 'Offer letter', 'NDA'];
const COMPANIES = Array.from({ length: 20 }, (_, i) => humaansId(i, 1));

/** Deterministic documents `from` … `from + count - 1`; `version` changes `updated_at` for rewrites. */
export function makeRows(from: number, count: number, version = 0): Row[] {
  const rows: Row[] = new Array(count);
  const base = Date.UTC(2021, 0, 1);
  for (let j = 0; j < count; j++) {
    const i = from + j;
    const r = (Math.imul(i, 2654435761) >>> 0) / 4294967296;
    const created = base + Math.floor(r * 9e10);
    const type = TYPES[i % TYPES.length]!;
    const person = humaansId(i % 25_000, 2);
    rows[j] = {
      id: humaansId(i, 0),
      company_id: COMPANIES[i % COMPANIES.length]!,
      person_id: person,
      name: `${type} — ${person.slice(0, 6)} ${i}`,
      document_type_id: humaansId(i % TYPES.length, 3),
      folder_id: i % 4 === 0 ? null : humaansId(i % 300, 4),
      link: i % 7 === 0 ? `https://drive.example.com/d/${humaansId(i, 5)}` : null,
      file_id: humaansId(i, 6),
      file_filename: `${type.toLowerCase().replaceAll(' ', '-')}-${i}.pdf`,
      file_size: 20_000 + Math.floor(r * 5_000_000),
      source: i % 10 === 0 ? 'bamboohr' : null,
      source_id: i % 10 === 0 ? String(100_000 + i) : null,
      issue_date: i % 3 === 0 ? null : new Date(created).toISOString().slice(0, 10),
      created_at: new Date(created).toISOString(),
      updated_at: new Date(created + 86_400_000 * (1 + (i % 30)) + version * 1000).toISOString(),
    };
  }
  return rows;
}

interface Measurement {
  variant: string;
  rows: number;
  insertSeconds: number;
  updates: number;
  updateSeconds: number;
  /** Seconds in close(): the final checkpoint, wherever DuckDB's threshold left it (after the inserts or the updates). */
  closeSeconds: number;
  peakRssMb: number;
  fileMb: number;
  /** User + system CPU of the whole child (generation included). */
  cpuSeconds: number;
}

function parseVariant(variant: string): DuckDbTuning {
  const [head, memory] = variant.split('/') as [string, string | undefined];
  const [staging, checkpoint] = head.split('@') as [StagingMethod, string | undefined];
  return {
    staging,
    threads: Math.max(1, availableParallelism() - 1),
    ...(checkpoint ? { checkpointThreshold: checkpoint } : {}),
    // DuckDB's own default, as a hard limit: 80% of RAM.
    ...(memory === 'none' ? { memoryLimit: `${Math.floor((totalmem() * 0.8) / 2 ** 20)}MB` } : {}),
    ...(memory && memory !== 'none' ? { memoryLimit: memory } : {}),
  };
}

function label(variant: string): string {
  const [head, memory] = variant.split('/') as [string, string | undefined];
  const [staging, checkpoint] = head.split('@') as [string, string | undefined];
  return `${staging} @ ${checkpoint ?? '256MB'} / ${memory ?? '64MB'}`;
}

function batchOf(rows: Row[], from: number, version: number): WriteBatch {
  return {
    runId: `bench-${version}`,
    stream: SPEC.stream,
    table: SPEC,
    rows,
    state: { offset: from + rows.length, version },
    syncedAt: new Date(),
    mode: 'upsert',
  };
}

async function openFresh(variant: string): Promise<{ d: DuckDbDestination; path: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'trb-duckdb-bench-'));
  const path = join(dir, 'bench.duckdb');
  const d = new DuckDbDestination(path, { namespace: 'humaans', connector: 'bench' }, parseVariant(variant));
  await d.open();
  return { d, path, dir };
}

async function checkCount(d: DuckDbDestination): Promise<void> {
  const [count] = await d.query('SELECT count(*) AS n FROM humaans.documents');
  if (Number(count!.n) !== ROWS) throw new Error(`expected ${ROWS} rows, found ${count!.n}`);
}

/** Isolated: one variant in this process, so its peak RSS is its own. */
async function child(variant: string): Promise<void> {
  const { d, path, dir } = await openFresh(variant);
  try {
    const timeAll = async (rows: number, version: number) => {
      let ms = 0;
      for (let from = 0; from < rows; from += BATCH) {
        const batch = batchOf(makeRows(from, Math.min(BATCH, rows - from), version), from, version);
        const t = performance.now();
        await d.write(batch);
        ms += performance.now() - t;
      }
      return ms / 1000;
    };
    const insertSeconds = await timeAll(ROWS, 0);
    const updates = Math.min(UPDATES, ROWS);
    const updateSeconds = updates > 0 ? await timeAll(updates, 1) : 0;
    await checkCount(d);
    const closeStart = performance.now();
    await d.close();
    const closeSeconds = (performance.now() - closeStart) / 1000;
    // After close: DuckDB checkpoints the WAL into the file on shutdown.
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    const cpu = process.cpuUsage();
    const result: Measurement = {
      variant,
      rows: ROWS,
      insertSeconds,
      updates,
      updateSeconds,
      closeSeconds,
      peakRssMb,
      fileMb: statSync(path).size / 1e6,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Interleaved: every variant in one process, each batch written to each variant's file in turn (rotating
 * who goes first). Whatever else loads the machine loads all variants alike, so their rows/s compare
 * fairly even on a busy box. Returns seconds spent in write() per variant.
 */
async function interleaved(): Promise<Map<string, { insert: number; update: number }>> {
  const opened: { variant: string; d: DuckDbDestination; dir: string; insert: number; update: number }[] = [];
  for (const v of VARIANTS) opened.push({ variant: v, ...(await openFresh(v)), insert: 0, update: 0 });
  try {
    const pass = async (rows: number, version: number, phase: 'insert' | 'update') => {
      let turn = 0;
      for (let from = 0; from < rows; from += BATCH) {
        const batchRows = makeRows(from, Math.min(BATCH, rows - from), version);
        for (let k = 0; k < opened.length; k++) {
          const o = opened[(k + turn) % opened.length]!;
          const t = performance.now();
          await o.d.write(batchOf(batchRows, from, version));
          o[phase] += (performance.now() - t) / 1000;
        }
        turn++;
      }
    };
    await pass(ROWS, 0, 'insert');
    if (UPDATES > 0) await pass(Math.min(UPDATES, ROWS), 1, 'update');
    for (const o of opened) await checkCount(o.d);
    return new Map(opened.map((o) => [o.variant, { insert: o.insert, update: o.update }]));
  } finally {
    for (const o of opened) {
      await o.d.close();
      rmSync(o.dir, { recursive: true, force: true });
    }
  }
}

function isolated(): Measurement[] {
  const results: Measurement[] = [];
  for (let run = 0; run < RUNS; run++) {
    for (const variant of run % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()) {
      const args = [
        '--child',
        variant,
        '--rows',
        String(ROWS),
        '--batch',
        String(BATCH),
        '--updates',
        String(UPDATES),
      ];
      const out = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1 << 20,
      });
      if (out.status !== 0) throw new Error(`${variant} run failed with exit code ${out.status}`);
      const m = JSON.parse(out.stdout.trim().split('\n').at(-1)!) as Measurement;
      results.push(m);
      process.stderr.write(
        `  isolated run ${run + 1} ${variant}: insert ${fmt(m.rows / m.insertSeconds)} rows/s, ` +
          `update ${m.updates ? fmt(m.updates / m.updateSeconds) : '-'} rows/s, close ${m.closeSeconds.toFixed(1)} s, peak RSS ${fmt(m.peakRssMb)} MB, ` +
          `CPU ${m.cpuSeconds.toFixed(1)} s, load ${loadavg()[0]!.toFixed(1)}\n`,
      );
    }
  }
  return results;
}

async function parent(): Promise<void> {
  const updates = Math.min(UPDATES, ROWS);
  const fair: Map<string, { insert: number; update: number }>[] = [];
  if (MODE !== 'isolated') {
    for (let run = 0; run < RUNS; run++) {
      const load = loadavg()[0]!;
      const r = await interleaved();
      fair.push(r);
      for (const [v, t] of r) {
        process.stderr.write(
          `  interleaved run ${run + 1} ${v}: insert ${fmt(ROWS / t.insert)} rows/s, ` +
            `update ${updates ? fmt(updates / t.update) : '-'} rows/s (load ${load.toFixed(1)})\n`,
        );
      }
    }
  }
  const alone = MODE === 'interleaved' ? [] : isolated();
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const lines = [
    `DuckDB write bench: ${fmt(ROWS)} rows × ${SPEC.columns.length} columns in batches of ${fmt(BATCH)}, then ` +
      `${fmt(updates)} updates; ${RUNS} run(s), median. ${cpus().length} CPUs, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}.`,
    '',
    '| staging @ checkpoint_threshold / memory_limit | insert rows/s (interleaved) | update rows/s (interleaved) | insert rows/s (alone) | update rows/s (alone) | close s (alone) | peak RSS MB (alone) | CPU s (alone) | file MB |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  const cell = (xs: number[]) => (xs.length ? fmt(med(xs)) : '-');
  for (const v of VARIANTS) {
    const f = fair.map((r) => r.get(v)!);
    const a = alone.filter((m) => m.variant === v);
    lines.push(
      `| ${label(v)} | ${cell(f.map((t) => ROWS / t.insert))} | ${updates ? cell(f.map((t) => updates / t.update)) : '-'} | ` +
        `${cell(a.map((m) => m.rows / m.insertSeconds))} | ${updates ? cell(a.map((m) => m.updates / m.updateSeconds)) : '-'} | ` +
        `${a.length ? med(a.map((m) => m.closeSeconds)).toFixed(1) : '-'} | ` +
        `${a.length ? fmt(Math.max(...a.map((m) => m.peakRssMb))) : '-'} | ` +
        `${a.length ? med(a.map((m) => m.cpuSeconds)).toFixed(1) : '-'} | ${a.length ? fmt(med(a.map((m) => m.fileMb))) : '-'} |`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

// Run only when executed, so the row generator can be imported (e.g. by a profiling script).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (CHILD) await child(CHILD);
  else await parent();
}
