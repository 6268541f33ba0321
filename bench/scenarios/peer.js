// Scenario 6: the peer. A minimal faros-airbyte-cdk source (bench/peer/faros-humaans-source.cjs) and
// `tributary airbyte humaans read` both read every Humaans document from the same simulator process and write
// Airbyte messages to /dev/null, interleaved (peer, tributary, peer, tributary …).
import { createReadStream, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
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
import { startSim } from '../sim.js';

export const RECORDS_FULL = 200_000;
export const RECORDS_QUICK = 20_000;
export const PEER = join(import.meta.dirname, '..', 'peer', 'faros-humaans-source.cjs');
/** The `tributary` bin's node flags (as runMeasured gives tributary), so both run under the same heap settings. */
export const NODE_ARGS = cliNodeFlags();
export const TOKEN = 'bench-peer-token';
const PAGE = 250;
const TARGET_RPS_RATIO = 2;
const TARGET_CPU_RATIO = 0.5;

/** Config and catalog files both implementations accept; full refresh of `documents`, no incoming state. */
export function inputs(baseUrl) {
  const config = tempFile(
    'config.json',
    JSON.stringify({ api_token: TOKEN, base_url: baseUrl, initial_sync_days: 0, max_records_per_page: PAGE }),
  );
  const catalog = join(dirname(config), 'catalog.json');
  writeFileSync(
    catalog,
    JSON.stringify({
      streams: [
        {
          stream: {
            name: 'documents',
            json_schema: {},
            supported_sync_modes: ['full_refresh', 'incremental'],
            source_defined_primary_key: [['id']],
          },
          sync_mode: 'full_refresh',
          destination_sync_mode: 'overwrite',
          primary_key: [['id']],
        },
      ],
    }),
  );
  return { config, catalog, dir: dirname(config) };
}

const runners = ({ config, catalog }) => ({
  peer: (stdoutTo) =>
    runNode(PEER, ['read', '--config', config, '--catalog', catalog], { stdoutTo, nodeArgs: NODE_ARGS }),
  tributary: (stdoutTo) =>
    runMeasured(['airbyte', 'humaans', 'read', '--config', config, '--catalog', catalog], { stdoutTo }),
});

/** The RECORD messages of an Airbyte output file: how many, and the set of `documents` ids. */
async function recordsIn(file) {
  let count = 0;
  const ids = new Set();
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (!line.includes('"type":"RECORD"')) continue;
    const m = JSON.parse(line);
    if (m.type !== 'RECORD') continue;
    count++;
    if (m.record?.stream === 'documents') ids.add(m.record.data?.id);
  }
  return { count, ids };
}

/**
 * One unmeasured run of each with stdout kept (in a temp file, read back line by line: 200k records are
 * ~200 MB of JSON), so "same records" is checked: each emits exactly `records` RECORDs, all distinct ids, and
 * the two id sets are equal.
 */
async function validate(run, records) {
  const seen = {};
  for (const [name, fn] of Object.entries(run)) {
    const out = tempFile(`${name}.jsonl`);
    try {
      const r = await fn(out);
      if (r.code !== 0)
        throw new Error(
          `peer scenario: ${name} validation run failed (exit ${r.code}): ${r.stderr.slice(-2000)}`,
        );
      const { count, ids } = await recordsIn(out);
      if (count !== records || ids.size !== records)
        throw new Error(
          `peer scenario: ${name} emitted ${count} RECORDs (${ids.size} distinct ids), expected ${records}`,
        );
      seen[name] = ids;
      log(
        `  ${name} validation: ${fmt(count)} RECORDs, ${fmt(ids.size)} distinct ids, ${fmt(r.wallMs / 1000, 1)} s`,
      );
    } finally {
      rmSync(dirname(out), { recursive: true, force: true });
    }
  }
  for (const id of seen.tributary)
    if (!seen.peer.has(id)) throw new Error(`peer scenario: tributary read id ${id}, the peer did not`);
}

export async function run({ quick, runs }) {
  const records = quick ? RECORDS_QUICK : RECORDS_FULL;
  log(
    `== 6 Peer: faros-airbyte-cdk source vs tributary airbyte read, ${fmt(records)} Humaans documents, ${runs} run(s) each, interleaved`,
  );
  const sim = await startSim('humaans', { records, seed: 42, token: TOKEN });
  const files = inputs(sim.baseUrl);
  try {
    const run = runners(files);
    await validate(run, records);
    const measure = (name) => async (i) => {
      const r = await run[name]('/dev/null');
      if (r.code !== 0)
        throw new Error(
          `peer scenario: ${name} run ${i + 1} failed (exit ${r.code}): ${r.stderr.slice(-2000)}`,
        );
      const x = {
        rps: records / (r.wallMs / 1000),
        cpu1k: r.cpuSec / (records / 1000),
        rss: r.peakRssMb,
        wall: r.wallMs / 1000,
        cpu: r.cpuSec,
      };
      log(
        `  ${name} run ${i + 1}: ${fmt(x.rps)} rec/s, CPU ${fmt(x.cpu, 2)} s (${fmt(x.cpu1k, 3)} s/1k), RSS ${fmt(x.rss)} MB, wall ${fmt(x.wall, 2)} s`,
      );
      return x;
    };
    const res = await interleave(runs, { peer: measure('peer'), tributary: measure('tributary') });
    const peer = summarize(res.peer);
    const trb = summarize(res.tributary);
    // Each tributary run against the peer run just before it: the pairs share the machine's state.
    const pairs = summarize(
      res.tributary.map((t, i) => ({ rps: t.rps / res.peer[i].rps, cpu: t.cpu1k / res.peer[i].cpu1k })),
    );
    const rpsRatio = trb.rps.median / peer.rps.median;
    const cpuRatio = trb.cpu1k.median / peer.cpu1k.median;
    const ratioCell = (m) => `${fmt(m.median, 2)}× (${fmt(m.min, 2)}–${fmt(m.max, 2)})`;
    const section = `## 6. Peer: a faros-airbyte-cdk source against \`tributary airbyte humaans read\`

Both read all ${fmt(records)} Humaans documents (full refresh, \`$limit=${PAGE}\`, no incoming state) from the same
simulator process (its own process, no latency, seed 42) and write Airbyte protocol messages to \`/dev/null\`.
**peer** is \`bench/peer/faros-humaans-source.cjs\`, a minimal source written as faros-ai/airbyte-connectors sources
are: an \`AirbyteSourceBase\` with one \`AirbyteStreamBase\` whose \`readRecords()\` pages \`$skip\`/\`$limit\` with an
axios client (faros-js-client, Bearer auth) until a short page, run by the CDK's \`AirbyteSourceRunner\`
(faros-airbyte-cdk 0.23.19, under commander 14); it emits the records as the API returns them. **tributary** runs
the declarative Humaans connector (keyset pages on \`updatedAt\`, then its transforms: flatten, snake_case,
timestamps, added fields) behind \`tributary airbyte humaans read\`. Both run under the same Node flags
(\`${NODE_ARGS.join(' ')}\`, the tributary bin's shebang) and log at their quiet defaults (the peer's CDK at info,
tributary at warn). Before the measured runs, one unmeasured run of each is checked: exactly ${fmt(records)} RECORD
messages, ${fmt(records)} distinct ids, the same id set in both. Then they alternate (peer, tributary, peer, …).
Records/s is the dataset over the process's wall time, start-up included; CPU is the process's own user + system
time (the simulator's is not counted); peak RSS is the process's. Median of ${runs} run(s), (min–max).

| implementation | records/s | CPU s per 1k records | peak RSS MB |
|---|---|---|---|
| peer (faros-airbyte-cdk) | ${cell(peer.rps)} | ${cell(peer.cpu1k, 3)} | ${cell(peer.rss)} |
| tributary | ${cell(trb.rps)} | ${cell(trb.cpu1k, 3)} | ${cell(trb.rss)} |

| ratio, tributary / peer | of the medians | per interleaved pair, median (min–max) | target |
|---|---|---|---|
| records/s | **${fmt(rpsRatio, 2)}×** | ${ratioCell(pairs.rps)} | ≥ ${TARGET_RPS_RATIO}× |
| CPU per record | **${fmt(cpuRatio, 2)}×** | ${ratioCell(pairs.cpu)} | ≤ ${TARGET_CPU_RATIO}× |
`;
    const headline = [
      {
        scenario: '6 Peer',
        metric: 'records/s, tributary / faros-cdk peer',
        measured: `${fmt(rpsRatio, 2)}× (${fmt(trb.rps.median)} vs ${fmt(peer.rps.median)} rec/s)`,
        target: `≥ ${TARGET_RPS_RATIO}×`,
        met: rpsRatio >= TARGET_RPS_RATIO,
      },
      {
        scenario: '6 Peer',
        metric: 'CPU per record, tributary / faros-cdk peer',
        measured: `${fmt(cpuRatio, 2)}× (${fmt(trb.cpu1k.median, 3)} vs ${fmt(peer.cpu1k.median, 3)} s/1k)`,
        target: `≤ ${TARGET_CPU_RATIO}×`,
        met: cpuRatio <= TARGET_CPU_RATIO,
      },
    ];
    return { section, headline };
  } finally {
    rmSync(files.dir, { recursive: true, force: true });
    await sim.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const runs = Number(argv.includes('--runs') ? argv[argv.indexOf('--runs') + 1] : quick ? 1 : 3);
  const t0 = performance.now();
  const r = await run({ quick, runs });
  process.stdout.write(`${r.section}\n`);
  for (const h of r.headline)
    log(`${h.scenario} | ${h.metric} | ${h.measured} | ${h.target} | ${h.met ? 'met' : 'NOT met'}`);
  log(`done in ${fmt((performance.now() - t0) / 1000, 1)} s`);
}
