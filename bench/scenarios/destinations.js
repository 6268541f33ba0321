// Scenario 8: the three destinations, and what a change to the write path costs in each. One Humaans
// `documents` sync into an empty table (every row an insert), then a `--full-refresh` sync into the same table
// (every row an update of an existing key, then the pass proof and the soft-delete sweep), per destination:
// DuckDB, PostgreSQL and MySQL/MariaDB. With `--before DIR` (a checkout of an earlier commit with
// `npm ci && npm run build` done in it), each destination that build supports runs with both builds,
// alternating (before, after, before, after …) on the same simulator process, and the table gives the ratio
// after/before of the medians: a write-path change shows as a ratio, measured in one run on one machine.
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import mysql from 'mysql2/promise';
import { CLI, cell, fmt, interleave, log, summarize, tempFile } from '../lib.js';
import { startSim } from '../sim.js';
import { humaansConfig, syncDocuments } from './cpu-memory.js';
import { dropSchema, PG_URL } from './postgres.js';

export const MYSQL_URL = process.env.TRIBUTARY_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** A fresh place per run, and how to clear it afterwards. */
const TARGETS = {
  duckdb: {
    label: 'DuckDB',
    fresh: () => {
      const file = tempFile('dest.duckdb');
      return { destination: `duckdb:${file}`, drop: async () => rmSync(file, { force: true }) };
    },
  },
  postgres: {
    label: 'PostgreSQL 15',
    fresh: (ns) => ({
      destination: PG_URL,
      namespace: ns,
      drop: () => dropSchema(ns),
    }),
  },
  mysql: {
    label: 'MariaDB 10.11',
    fresh: (ns) => ({
      destination: MYSQL_URL,
      namespace: ns,
      drop: async () => {
        const u = new URL(MYSQL_URL);
        const c = await mysql.createConnection({
          host: u.hostname,
          port: Number(u.port || 3306),
          user: decodeURIComponent(u.username),
          password: decodeURIComponent(u.password),
        });
        try {
          await c.query(`drop database if exists \`${ns}\``);
        } finally {
          await c.end();
        }
      },
    }),
  },
};

/** Whether a build's CLI knows a destination (a build from before MySQL existed does not). */
function supports(dir, kind) {
  if (kind !== 'mysql') return true;
  return existsSync(join(dir, 'dist', 'destinations', 'mysql'));
}

/** Insert pass then update pass into a fresh place; rows/s of each. */
async function twoPasses({ kind, cli, config, records, runTag }) {
  const ns = `bench_${process.pid}_${runTag}`;
  const place = TARGETS[kind].fresh(ns);
  try {
    const common = { config, destination: place.destination, namespace: place.namespace, cli };
    const insert = await syncDocuments({ ...common, records, label: `${kind} insert` });
    const update = await syncDocuments({
      ...common,
      records,
      label: `${kind} update`,
      extra: ['--full-refresh'],
    });
    return { insert: insert.rps, update: update.rps, rss: Math.max(insert.rss, update.rss) };
  } finally {
    await place.drop();
  }
}

export async function run({ quick, runs, before }) {
  const records = quick ? 20_000 : 200_000;
  const beforeDir = before === undefined ? undefined : resolve(before);
  // BENCH_DESTINATIONS=postgres,mysql measures only those (e.g. one destination again on a quiet machine).
  const wanted = process.env.BENCH_DESTINATIONS?.split(',');
  const kinds = Object.keys(TARGETS).filter((k) => wanted === undefined || wanted.includes(k));
  if (wanted !== undefined && kinds.length !== wanted.length)
    throw new Error(
      `BENCH_DESTINATIONS names an unknown destination (known: ${Object.keys(TARGETS).join(', ')})`,
    );
  log(
    `== 8 destinations: ${fmt(records)} documents inserted then updated, ${runs} run(s)` +
      (beforeDir ? `, alternating with the build in ${beforeDir}` : ''),
  );
  const sim = await startSim('humaans', { records, seed: 42, token: 'bench-token' });
  const rows = [];
  const headline = [];
  try {
    const config = humaansConfig(sim.baseUrl);
    for (const kind of kinds) {
      const builds = { after: CLI };
      if (beforeDir !== undefined && supports(beforeDir, kind))
        builds.before = join(beforeDir, 'dist', 'cli', 'main.js');
      const pairs = {};
      for (const [name, cli] of Object.entries(builds).reverse()) {
        pairs[name] = async (i) => {
          const x = await twoPasses({ kind, cli, config, records, runTag: `${name}_${i}` });
          log(
            `  ${kind} ${name} run ${i + 1}: insert ${fmt(x.insert)} rows/s, update ${fmt(x.update)} rows/s, RSS ${fmt(x.rss)} MB`,
          );
          return x;
        };
      }
      const res = await interleave(runs, pairs);
      const a = summarize(res.after);
      const b = res.before ? summarize(res.before) : undefined;
      const ratio = (k) => (b ? fmt(a[k].median / b[k].median, 3) : '–');
      rows.push(
        `| ${TARGETS[kind].label} | ${cell(a.insert)} | ${cell(a.update)} | ${cell(a.rss)} | ${ratio('insert')} | ${ratio('update')} |`,
      );
      headline.push({
        scenario: '8 destinations',
        metric: `${TARGETS[kind].label} insert rows/s at ${fmt(records)}`,
        measured: fmt(a.insert.median),
        target: b ? `after/before ${ratio('insert')} (≥ 0.95)` : '(reported, no target)',
        met: b ? a.insert.median / b.insert.median >= 0.95 : undefined,
      });
    }
  } finally {
    await sim.stop();
  }
  const section = `## 8. Destinations

${fmt(records)} Humaans documents into an empty table (every row an insert), then a \`--full-refresh\` sync of the same
records into the same table (every row an update of an existing key, then the pass proof and the soft-delete sweep),
per destination, PostgreSQL and MariaDB on loopback. Rows/s is end to end (process wall time, simulator included);
RSS is the sync process's own. Median of ${runs} run(s), (min–max).${
    beforeDir
      ? ` The ratios are this build over the build in \`${beforeDir}\`, the two alternating on the same simulator in this run (a destination that build lacks has none).`
      : ' Run with `--before DIR` for the ratio to another build.'
  }

| destination | insert rows/s | update rows/s | peak RSS (MB) | insert after/before | update after/before |
|---|---|---|---|---|---|
${rows.join('\n')}
`;
  return { section, headline };
}
