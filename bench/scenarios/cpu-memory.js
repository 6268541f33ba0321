// Scenarios 1 and 2: the CPU path and memory. Humaans documents from the loopback simulator (no latency,
// `$limit=250`) into DuckDB, interleaved with the raw limit: the same keyset pages fetched with undici and
// JSON.parse'd, nothing else (bench/raw-limit.js). Run at two sizes for the memory ratio.
import { join } from 'node:path';
import {
  cell,
  cliNodeFlags,
  fmt,
  interleave,
  log,
  runMeasured,
  runNode,
  summarize,
  tempFile,
} from '../lib.js';
import { rmSync } from 'node:fs';
import { startSim } from '../sim.js';

const TOKEN = 'bench-token';
export const SIZES = { full: [100_000, 1_000_000], quick: [20_000, 100_000] };

export function humaansConfig(baseUrl) {
  return tempFile(
    'humaans.json',
    JSON.stringify({ api_token: TOKEN, base_url: baseUrl, initial_sync_days: 0, max_records_per_page: 250 }),
  );
}

/** The arguments of `tributary sync humaans --streams documents --json` into `destination` (bench/ab.js too). */
export function documentsSyncArgs(config, destination, namespace) {
  return [
    'sync',
    'humaans',
    '--config',
    config,
    '--destination',
    destination,
    ...(namespace ? ['--namespace', namespace] : []),
    '--streams',
    'documents',
    '--json',
  ];
}

/**
 * One `tributary sync humaans --streams documents` into `destination`; throws unless it read every record.
 * `batchRows: null` leaves the batch caps at the CLI's defaults (scenarios 1–2 measure those).
 */
export async function syncDocuments({
  config,
  destination,
  namespace,
  records,
  label,
  extra = [],
  cli,
  batchRows = 20000,
  env,
}) {
  const r = await runMeasured(
    [
      ...documentsSyncArgs(config, destination, namespace),
      ...(batchRows === null ? [] : ['--batch-rows', String(batchRows)]),
      ...extra,
    ],
    { cli, env },
  );
  if (r.code !== 0) throw new Error(`${label} failed (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  const run = JSON.parse(r.stdout);
  const read = run.streams[0].records;
  if (read < records) throw new Error(`${label}: expected ${records} records, got ${read}`);
  return {
    rps: records / (r.wallMs / 1000),
    cpu: r.cpuSec,
    rss: r.peakRssMb,
    wall: r.wallMs / 1000,
    run,
    memSplit: r.memSplit,
  };
}

async function measureSize(records, runs) {
  const sim = await startSim('humaans', { records, seed: 42, token: TOKEN });
  try {
    const config = humaansConfig(sim.baseUrl);
    const res = await interleave(runs, {
      raw: async (i) => {
        const r = await runNode(join(import.meta.dirname, '..', 'raw-limit.js'), [
          sim.baseUrl,
          TOKEN,
          '250',
          '/documents',
        ]);
        if (r.code !== 0) throw new Error(`raw limit failed: ${r.stderr.slice(-2000)}`);
        const out = JSON.parse(r.stdout);
        if (out.records !== records) throw new Error(`raw limit read ${out.records} of ${records}`);
        const x = {
          rps: records / (r.wallMs / 1000),
          cpu: r.cpuSec,
          rss: r.peakRssMb,
          requests: out.requests,
        };
        log(
          `  raw ${fmt(records)} run ${i + 1}: ${fmt(x.rps)} rec/s, CPU ${fmt(x.cpu, 1)} s, RSS ${fmt(x.rss)} MB`,
        );
        return x;
      },
      tributary: async (i) => {
        const file = tempFile('bench.duckdb');
        try {
          const x = await syncDocuments({
            config,
            destination: `duckdb:${file}`,
            records,
            label: `duckdb ${records}`,
            batchRows: null,
            env: { BENCH_MEM_SPLIT: '1' },
          });
          log(
            `  tributary ${fmt(records)} run ${i + 1}: ${fmt(x.rps)} rec/s, CPU ${fmt(x.cpu, 1)} s, RSS ${fmt(x.rss)} MB`,
          );
          const m = x.memSplit ?? {};
          return {
            rps: x.rps,
            cpu: x.cpu,
            rss: x.rss,
            requests: x.run.streams[0].metrics.requests,
            atPeakFile: m.file,
            atPeakHeap: m.heap,
            atPeakExternal: m.external,
            atPeakNative: m.nativeAnon,
          };
        } finally {
          rmSync(file, { force: true });
          rmSync(`${file}.wal`, { force: true });
        }
      },
    });
    return {
      raw: summarize(res.raw),
      trb: summarize(res.tributary),
      ratio: summarize(res.tributary.map((t, i) => ({ r: t.rps / res.raw[i].rps }))).r,
    };
  } finally {
    await sim.stop();
  }
}

export async function run({ quick, runs }) {
  const [small, big] = quick ? SIZES.quick : SIZES.full;
  log(
    `== 1/2 Humaans documents → DuckDB against the raw limit (${fmt(small)} and ${fmt(big)} records, ${runs} run(s) each, interleaved)`,
  );
  const a = await measureSize(small, runs);
  const b = await measureSize(big, runs);
  const perRec = (s, n) => ({ median: (s.median * 1e6) / n, min: (s.min * 1e6) / n, max: (s.max * 1e6) / n });
  const rssRatio = b.trb.rss.median / a.trb.rss.median;
  const cpuRatio = b.trb.cpu.median / b.raw.cpu.median;
  const row = (n, s) =>
    `| ${fmt(n)} | ${cell(s.raw.rps)} | ${cell(s.trb.rps)} | **${fmt(100 * s.ratio.median)}%** (${fmt(100 * s.ratio.min)}–${fmt(100 * s.ratio.max)}) | ${cell(perRec(s.trb.cpu, n), 1)} | ${cell(perRec(s.raw.cpu, n), 1)} | ${cell(s.trb.rss)} | ${cell(s.raw.rss)} |`;
  const flags = cliNodeFlags()
    .map((f) => `\`${f}\``)
    .join(' ');
  const m = (s, k) => (s.trb[k] ? fmt(s.trb[k].median) : 'n/a');
  const splitRow = (n, s) =>
    `| ${fmt(n)} | ${m(s, 'rss')} | ${m(s, 'atPeakFile')} | ${m(s, 'atPeakHeap')} | ${m(s, 'atPeakExternal')} | ${m(s, 'atPeakNative')} |`;
  const section = `## 1–2. CPU path and memory: Humaans documents → DuckDB, against the raw limit

The simulator runs in its own process (no latency, \`$limit=250\`, seed 42). **tributary** is
\`tributary sync humaans --streams documents\` with the default batch caps into a fresh DuckDB file (with the node
flags on its bin's shebang: ${flags}). **raw** is \`bench/raw-limit.js\`: the same keyset pages, fetched one after
another with undici and \`JSON.parse\`d, nothing else. The two alternate (raw, tributary, raw, tributary …) against
the same simulator process. Records/s counts the dataset over the process's wall time, start-up included. CPU is
the process's own user + system time (DuckDB's threads included), not the simulator's. Median of ${runs} run(s), (min–max).

| records | raw records/s | tributary records/s | tributary / raw | tributary CPU µs/record | raw CPU µs/record | tributary peak RSS (MB) | raw peak RSS (MB) |
|---|---|---|---|---|---|---|---|
${row(small, a)}
${row(big, b)}

Memory: peak RSS ${fmt(a.trb.rss.median)} MB at ${fmt(small)}, ${fmt(b.trb.rss.median)} MB at ${fmt(big)}: ratio **${fmt(rssRatio, 2)}**.

How tributary's RSS splits at its highest sample (every 50 ms, bench/rusage.cjs; medians over the runs, MB). File-backed
pages are the code of node and of DuckDB's library; the V8 heap is its committed size (heapTotal); native is the
rest of the anonymous memory: DuckDB's buffers and allocations, V8's and Node's own.

| records | peak RSS | file-backed (code) | V8 heap | external buffers | native (DuckDB, V8/Node internals) |
|---|---|---|---|---|---|
${splitRow(small, a)}
${splitRow(big, b)}
`;
  const headline = [
    {
      scenario: '1 CPU path',
      metric: `records/s at ${fmt(big)}`,
      measured: fmt(b.trb.rps.median),
      target: '(reported, no target)',
      met: undefined,
    },
    {
      scenario: '1 CPU path',
      metric: 'share of the raw limit',
      measured: `${fmt(100 * b.ratio.median)}%`,
      target: '≥ 50%',
      met: b.ratio.median >= 0.5,
    },
    {
      scenario: '1 CPU path',
      metric: 'CPU per record, tributary / raw limit',
      measured: `${fmt(cpuRatio, 1)}× (${fmt(perRec(b.trb.cpu, big).median, 1)} vs ${fmt(perRec(b.raw.cpu, big).median, 1)} µs)`,
      target: '≤ 3×',
      met: cpuRatio <= 3,
    },
    {
      scenario: '2 Memory',
      metric: `peak RSS at ${fmt(big)}`,
      measured: `${fmt(b.trb.rss.median)} MB`,
      target: '≤ 200 MB',
      met: b.trb.rss.median <= 200,
    },
    {
      scenario: '2 Memory',
      metric: `RSS ratio ${fmt(big)} / ${fmt(small)}`,
      measured: fmt(rssRatio, 2),
      target: '≤ 1.2',
      met: rssRatio <= 1.2,
    },
  ];
  return { section, headline };
}
