// Scenario 8: MySQL/MariaDB. Humaans documents from the loopback simulator into MySQL (LOAD DATA LOCAL into a
// TEMPORARY staging table, then one INSERT … ON DUPLICATE KEY UPDATE per batch), alternating with the same sync
// into DuckDB for reference. The bulk path alone (LOAD DATA vs multi-row INSERT) is bench/mysql-bulk.ts.
import { rmSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { cell, fmt, interleave, log, summarize, tempFile } from '../lib.js';
import { startSim } from '../sim.js';
import { humaansConfig, syncDocuments } from './cpu-memory.js';

export const MYSQL_URL = process.env.TRIBUTARY_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

async function dropDatabase(ns) {
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
}

export async function run({ quick, runs }) {
  const records = quick ? 50_000 : 1_000_000;
  log(`== 8 Humaans documents → MySQL (${fmt(records)} records, ${runs} run(s), alternating with DuckDB)`);
  const sim = await startSim('humaans', { records, seed: 42, token: 'bench-token' });
  let res;
  try {
    const config = humaansConfig(sim.baseUrl);
    res = await interleave(runs, {
      mysql: async (i) => {
        const ns = `bench_${process.pid}_${i}`;
        try {
          const x = await syncDocuments({
            config,
            destination: MYSQL_URL,
            namespace: ns,
            records,
            label: 'mysql',
          });
          log(`  mysql run ${i + 1}: ${fmt(x.rps)} rows/s, CPU ${fmt(x.cpu, 1)} s, RSS ${fmt(x.rss)} MB`);
          return x;
        } finally {
          await dropDatabase(ns);
        }
      },
      duckdb: async (i) => {
        const file = tempFile('mysqlref.duckdb');
        try {
          const x = await syncDocuments({ config, destination: `duckdb:${file}`, records, label: 'duckdb' });
          log(`  duckdb run ${i + 1}: ${fmt(x.rps)} rows/s, CPU ${fmt(x.cpu, 1)} s, RSS ${fmt(x.rss)} MB`);
          return x;
        } finally {
          rmSync(file, { force: true });
        }
      },
    });
  } finally {
    await sim.stop();
  }
  const m = summarize(res.mysql.map(({ rps, cpu, rss }) => ({ rps, cpu, rss })));
  const d = summarize(res.duckdb.map(({ rps, cpu, rss }) => ({ rps, cpu, rss })));
  const section = `## 8. MySQL/MariaDB

${fmt(records)} Humaans documents, the same simulator settings as scenario 1, into MariaDB on loopback (LOAD DATA
LOCAL from a stream into a TEMPORARY staging table, one \`INSERT … ON DUPLICATE KEY UPDATE\` per batch, state in
the same transaction), alternating with the same sync into DuckDB. Rows/s is end to end (process wall time); RSS
and CPU are the sync process's own, not the server's. Median of ${runs} run(s), (min–max).

| destination | rows/s | CPU s (sync process) | peak RSS (MB) |
|---|---|---|---|
| MySQL/MariaDB | ${cell(m.rps)} | ${cell(m.cpu, 1)} | ${cell(m.rss)} |
| DuckDB | ${cell(d.rps)} | ${cell(d.cpu, 1)} | ${cell(d.rss)} |
`;
  return {
    section,
    headline: [
      {
        scenario: '8 MySQL',
        metric: `rows/s at ${fmt(records)}`,
        measured: fmt(m.rps.median),
        target: '(reported, no target)',
        met: undefined,
      },
    ],
  };
}
