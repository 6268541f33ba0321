/**
 * DuckDB destination write throughput: the bulk staging paths side by side, and DuckDB's checkpoint
 * threshold.
 *
 *   npx tsx bench/duckdb-write.ts [--rows 1000000] [--batch 5000] [--updates 100000] [--runs 1]
 *                                 [--variants json,appender,chunk,json@16MB]
 *
 * A variant is `<staging>[@<checkpoint_threshold>]` (staging: json | appender | chunk; threshold default
 * 256MB, the destination's default). Each measurement runs in its own child process, so peak RSS is that
 * variant's alone: it writes `--rows` Humaans-document-like rows (15 columns: ids, strings, a bigint, two
 * timestamps, nulls) in batches of `--batch` into a fresh file through DuckDbDestination.write (staging,
 * INSERT … ON CONFLICT, state, one transaction per batch), then rewrites the first `--updates` rows (every
 * one an update of an existing key). Rows are generated per batch and the generation is not timed, so the
 * numbers are the destination's own. Prints a Markdown table.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Row, TableSpec } from '../src/destinations/destination.js';
import { DuckDbDestination } from '../src/destinations/duckdb/duckdb-destination.js';
import type { StagingMethod } from '../src/destinations/duckdb/duckdb-staging.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const ROWS = Number(arg('rows', '1000000'));
const BATCH = Number(arg('batch', '5000'));
const UPDATES = Number(arg('updates', '100000'));
const RUNS = Number(arg('runs', '1'));
const VARIANTS = arg('variants', 'json,appender,chunk,json@16MB').split(',');
const CHILD = arg('child', '');

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
  peakRssMb: number;
  fileMb: number;
  /** User + system CPU of the whole child (generation included): a number that load on the machine moves less. */
  cpuSeconds: number;
}

async function writeAll(d: DuckDbDestination, rows: number, version: number): Promise<number> {
  let ms = 0;
  for (let from = 0; from < rows; from += BATCH) {
    const batch = makeRows(from, Math.min(BATCH, rows - from), version);
    const t = performance.now();
    await d.write({
      runId: `bench-${version}`,
      stream: SPEC.stream,
      table: SPEC,
      rows: batch,
      state: { offset: from + batch.length, version },
      syncedAt: new Date(),
      mode: 'upsert',
    });
    ms += performance.now() - t;
  }
  return ms / 1000;
}

async function child(variant: string): Promise<void> {
  const [staging, checkpoint] = variant.split('@') as [StagingMethod, string | undefined];
  const dir = mkdtempSync(join(tmpdir(), 'trb-duckdb-bench-'));
  const path = join(dir, 'bench.duckdb');
  const d = new DuckDbDestination(
    path,
    { namespace: 'humaans', connector: 'bench' },
    { staging, ...(checkpoint ? { checkpointThreshold: checkpoint } : {}) },
  );
  try {
    await d.open();
    const insertSeconds = await writeAll(d, ROWS, 0);
    const updateSeconds = UPDATES > 0 ? await writeAll(d, Math.min(UPDATES, ROWS), 1) : 0;
    const [count] = await d.query(
      'SELECT count(*) AS n, count(DISTINCT updated_at) AS u FROM humaans.documents',
    );
    if (Number(count!.n) !== ROWS) throw new Error(`expected ${ROWS} rows, found ${count!.n}`);
    const result: Measurement = {
      variant,
      rows: ROWS,
      insertSeconds,
      updates: Math.min(UPDATES, ROWS),
      updateSeconds,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      fileMb: 0,
      cpuSeconds: 0,
    };
    await d.close();
    // After close: DuckDB checkpoints the WAL into the file on shutdown.
    result.fileMb = statSync(path).size / 1e6;
    const cpu = process.cpuUsage();
    result.cpuSeconds = (cpu.user + cpu.system) / 1e6;
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function parent(): void {
  const results: Measurement[] = [];
  for (let run = 0; run < RUNS; run++) {
    for (const variant of run % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()) {
      const out = spawnSync(
        process.execPath,
        [
          ...process.execArgv,
          process.argv[1]!,
          ...[
            '--child',
            variant,
            '--rows',
            String(ROWS),
            '--batch',
            String(BATCH),
            '--updates',
            String(UPDATES),
          ],
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
      );
      if (out.status !== 0) throw new Error(`${variant} run failed with exit code ${out.status}`);
      const m = JSON.parse(out.stdout.trim().split('\n').at(-1)!) as Measurement;
      results.push(m);
      process.stderr.write(
        `  run ${run + 1} ${variant}: insert ${fmt(m.rows / m.insertSeconds)} rows/s, ` +
          `update ${m.updates ? fmt(m.updates / m.updateSeconds) : '-'} rows/s, peak RSS ${fmt(m.peakRssMb)} MB, ` +
          `CPU ${m.cpuSeconds.toFixed(1)} s, load ${loadavg()[0]!.toFixed(1)}\n`,
      );
    }
  }
  const lines = [
    `DuckDB write bench: ${fmt(ROWS)} rows × ${SPEC.columns.length} columns, batches of ${fmt(BATCH)}, ` +
      `then ${fmt(UPDATES)} updates; ${RUNS} run(s) per variant (median)`,
    '',
    '| staging @ checkpoint_threshold | insert rows/s | update rows/s | peak RSS (MB) | CPU s (whole child) | file (MB) |',
    '|---|---|---|---|---|---|',
  ];
  for (const variant of VARIANTS) {
    const mine = results.filter((r) => r.variant === variant);
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const label = variant.includes('@') ? variant.replace('@', ' @ ') : `${variant} @ 256MB`;
    lines.push(
      `| ${label} | ${fmt(med(mine.map((m) => m.rows / m.insertSeconds)))} | ` +
        `${mine[0]!.updates ? fmt(med(mine.map((m) => m.updates / m.updateSeconds))) : '-'} | ` +
        `${fmt(Math.max(...mine.map((m) => m.peakRssMb)))} | ${med(mine.map((m) => m.cpuSeconds)).toFixed(1)} | ` +
        `${fmt(med(mine.map((m) => m.fileMb)))} |`,
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
  else parent();
}
