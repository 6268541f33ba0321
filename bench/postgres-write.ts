/**
 * PostgreSQL destination write throughput: text COPY vs binary COPY.
 *
 *   npx tsx bench/postgres-write.ts [--rows 1000000] [--batch 10000] [--runs 2] [--format both|text|binary]
 *
 * Each measurement runs in its own child process (so peak RSS is that format's alone): it opens a fresh
 * schema, writes `--rows` rows of 15 columns in batches of `--batch` through PostgresDestination.write
 * (COPY into staging, INSERT … ON CONFLICT, state, one transaction per batch), then drops the schema.
 * Rows are generated per batch, so the process holds one batch at a time. Prints a Markdown table.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import type { Row, TableSpec } from '../src/destinations/destination.js';
import { type CopyFormat, encodeBinary, encodeText } from '../src/destinations/postgres/postgres-copy.js';
import { PostgresDestination } from '../src/destinations/postgres/postgres-destination.js';
import { arg } from './arg.js';

const PG_URL = process.env.TRIBUTARY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const ROWS = Number(arg('rows', '1000000'));
const BATCH = Number(arg('batch', '10000'));
const RUNS = Number(arg('runs', '2'));
const FORMAT = arg('format', 'both');
const CHILD = process.argv.includes('--child');

export const SPEC: TableSpec = {
  stream: 'bench_rows',
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: 'bigint' },
    { name: 'external_id', type: 'varchar' },
    { name: 'name', type: 'varchar' },
    { name: 'email', type: 'varchar' },
    { name: 'age', type: 'bigint' },
    { name: 'score', type: 'double' },
    { name: 'balance', type: 'double' },
    { name: 'active', type: 'boolean' },
    { name: 'created_at', type: 'timestamp' },
    { name: 'updated_at', type: 'timestamp' },
    { name: 'country', type: 'varchar' },
    { name: 'city', type: 'varchar' },
    { name: 'visits', type: 'bigint' },
    { name: 'notes', type: 'varchar' },
    { name: 'tags', type: 'varchar' },
  ],
};

const COUNTRIES = ['DE', 'FR', 'GB', 'US', 'JP', 'BR', 'IN', 'ES'];
const CITIES = ['Berlin', 'Paris', 'London', 'New York', 'Tōkyō', 'São Paulo', 'Mumbai', 'Málaga'];

/** Deterministic rows `from` … `from + count - 1` (a cheap LCG, so generation is not the bottleneck). */
export function makeRows(from: number, count: number): Row[] {
  const rows: Row[] = new Array(count);
  const base = Date.UTC(2020, 0, 1);
  for (let j = 0; j < count; j++) {
    const i = from + j;
    const r = (Math.imul(i, 2654435761) >>> 0) / 4294967296;
    const created = new Date(base + Math.floor(r * 1.5e11)).toISOString();
    rows[j] = {
      id: i,
      external_id: `ext_${(i * 7919).toString(36)}_${i}`,
      name: `Person ${i}`,
      email: `person${i}@example.com`,
      age: 18 + (i % 60),
      score: r * 100,
      balance: Math.round(r * 1e7) / 100,
      active: i % 3 !== 0,
      created_at: created,
      updated_at: i % 5 === 0 ? null : created,
      country: COUNTRIES[i % COUNTRIES.length]!,
      city: CITIES[i % CITIES.length]!,
      visits: Math.floor(r * 1e6),
      notes: i % 10 === 0 ? `line one\nline two\twith tab and \\ backslash for ${i}` : `note ${i}`,
      tags: JSON.stringify(['a', `t${i % 17}`]),
    };
  }
  return rows;
}

interface Measurement {
  format: CopyFormat;
  rows: number;
  writeSeconds: number;
  wallSeconds: number;
  encodeSeconds: number;
  /** CPU this process used inside write(). */
  clientCpuSeconds: number;
  /** CPU the PostgreSQL backends of the write pool used (from /proc; NaN when the server is not local). */
  serverCpuSeconds: number;
  peakRssMb: number;
}

/** utime + stime of the server processes serving `applicationName`, when PostgreSQL runs on this machine. */
async function backendCpuSeconds(admin: pg.Client, applicationName: string): Promise<number> {
  const res = await admin.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
    [applicationName],
  );
  let ticks = 0;
  for (const { pid } of res.rows) {
    try {
      // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return Number.NaN;
    }
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

async function child(format: CopyFormat): Promise<void> {
  const schema = `trb_bench_${randomBytes(4).toString('hex')}`;
  // Client-side cost alone: encode every batch without sending it.
  let encodeMs = 0;
  for (let from = 0; from < ROWS; from += BATCH) {
    const rows = makeRows(from, Math.min(BATCH, ROWS - from));
    const columns = SPEC.columns.map((c) => ({ name: c.name, source: c.name, type: c.type }));
    const t = performance.now();
    const chunks = format === 'binary' ? encodeBinary(columns, rows) : encodeText(columns, rows);
    for (const _ of chunks) {
      // drain
    }
    encodeMs += performance.now() - t;
  }
  const applicationName = `trb-bench-${randomBytes(4).toString('hex')}`;
  const d = new PostgresDestination(PG_URL, {
    namespace: schema,
    connector: 'bench',
    copyFormat: format,
    applicationName,
  });
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  let writeMs = 0;
  let clientCpuUs = 0;
  let serverCpuSeconds = Number.NaN;
  const wallStart = performance.now();
  try {
    await d.open();
    for (let from = 0; from < ROWS; from += BATCH) {
      const rows = makeRows(from, Math.min(BATCH, ROWS - from));
      const cpu = process.cpuUsage();
      const t = performance.now();
      await d.write({
        runId: 'bench',
        stream: SPEC.stream,
        table: SPEC,
        rows,
        state: { offset: from + rows.length },
        syncedAt: new Date(),
        mode: 'upsert',
      });
      writeMs += performance.now() - t;
      const used = process.cpuUsage(cpu);
      clientCpuUs += used.user + used.system;
    }
    serverCpuSeconds = await backendCpuSeconds(admin, applicationName);
  } finally {
    await d.close();
  }
  const count = await admin
    .query(`SELECT count(*)::int AS n FROM "${schema}".bench_rows`)
    .catch(() => undefined);
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
  if (count?.rows[0]?.n !== ROWS) throw new Error(`expected ${ROWS} rows, found ${count?.rows[0]?.n}`);
  const result: Measurement = {
    format,
    rows: ROWS,
    writeSeconds: writeMs / 1000,
    wallSeconds: (performance.now() - wallStart) / 1000,
    encodeSeconds: encodeMs / 1000,
    clientCpuSeconds: clientCpuUs / 1e6,
    serverCpuSeconds,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function parent(): void {
  const formats: CopyFormat[] = FORMAT === 'both' ? ['text', 'binary'] : [FORMAT as CopyFormat];
  const results: Measurement[] = [];
  for (let run = 0; run < RUNS; run++) {
    // Alternate the order so neither format always runs on a warmer server.
    for (const format of run % 2 === 0 ? formats : [...formats].reverse()) {
      const out = spawnSync(
        process.execPath,
        [
          ...process.execArgv,
          process.argv[1]!,
          '--child',
          '--format',
          format,
          '--rows',
          String(ROWS),
          '--batch',
          String(BATCH),
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
      );
      if (out.status !== 0) throw new Error(`${format} run failed with exit code ${out.status}`);
      const m = JSON.parse(out.stdout.trim().split('\n').at(-1)!) as Measurement;
      results.push(m);
      process.stderr.write(
        `  run ${run + 1} ${format}: ${fmt(m.rows / m.writeSeconds)} rows/s in write(), encode ${m.encodeSeconds.toFixed(2)} s, ` +
          `client CPU ${m.clientCpuSeconds.toFixed(2)} s, server CPU ${m.serverCpuSeconds.toFixed(2)} s, peak RSS ${m.peakRssMb.toFixed(0)} MB\n`,
      );
    }
  }
  const lines = [
    `PostgreSQL write bench: ${fmt(ROWS)} rows × ${SPEC.columns.length} columns, batches of ${fmt(BATCH)}, ${RUNS} run(s) per format`,
    '',
    '| COPY format | rows/s (write, median) | runs: rows/s | encode only (s) | client CPU in write (s) | server CPU (s) | peak RSS (MB, max) |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const format of formats) {
    const mine = results.filter((r) => r.format === format);
    const rps = mine.map((r) => r.rows / r.writeSeconds).sort((a, b) => a - b);
    const median = rps[Math.floor(rps.length / 2)]!;
    const med = (k: 'encodeSeconds' | 'clientCpuSeconds' | 'serverCpuSeconds') =>
      mine
        .map((r) => r[k])
        .sort((a, b) => a - b)
        [Math.floor(mine.length / 2)]!.toFixed(2);
    const rss = Math.max(...mine.map((r) => r.peakRssMb));
    lines.push(
      `| ${format} | ${fmt(median)} | ${rps.map(fmt).join(', ')} | ${med('encodeSeconds')} | ` +
        `${med('clientCpuSeconds')} | ${med('serverCpuSeconds')} | ${rss.toFixed(0)} |`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

// Run only when executed, so the row generator can be imported (e.g. by a profiling script).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (CHILD) await child(FORMAT as CopyFormat);
  else parent();
}
