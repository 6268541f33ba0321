// Scenario 5: PostgreSQL. 1M Humaans documents from the loopback simulator into PostgreSQL (binary COPY into a
// staging table, then one upsert per batch), alternating with the same sync into DuckDB for reference.
import { rmSync } from 'node:fs';
import pg from 'pg';
import { cell, fmt, interleave, log, summarize, tempFile } from '../lib.js';
import { startSim } from '../sim.js';
import { humaansConfig, syncDocuments } from './cpu-memory.js';

export const PG_URL = process.env.TRIBUTARY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Drop a namespace (schema) a run created, with what is in it. */
export async function dropSchema(ns) {
  const c = new pg.Client(PG_URL);
  await c.connect();
  try {
    await c.query(`drop schema if exists "${ns}" cascade`);
  } finally {
    await c.end();
  }
}

export async function run({ quick, runs }) {
  const records = quick ? 50_000 : 1_000_000;
  log(
    `== 5 Humaans documents → PostgreSQL (${fmt(records)} records, ${runs} run(s), alternating with DuckDB)`,
  );
  const sim = await startSim('humaans', { records, seed: 42, token: 'bench-token' });
  let res;
  try {
    const config = humaansConfig(sim.baseUrl);
    res = await interleave(runs, {
      postgres: async (i) => {
        const ns = `bench_${process.pid}_${i}`;
        try {
          const x = await syncDocuments({
            config,
            destination: PG_URL,
            namespace: ns,
            records,
            label: 'postgres',
          });
          log(`  postgres run ${i + 1}: ${fmt(x.rps)} rows/s, CPU ${fmt(x.cpu, 1)} s, RSS ${fmt(x.rss)} MB`);
          return x;
        } finally {
          await dropSchema(ns);
        }
      },
      duckdb: async (i) => {
        const file = tempFile('pgref.duckdb');
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
  const p = summarize(res.postgres.map(({ rps, cpu, rss }) => ({ rps, cpu, rss })));
  const d = summarize(res.duckdb.map(({ rps, cpu, rss }) => ({ rps, cpu, rss })));
  const section = `## 5. PostgreSQL

${fmt(records)} Humaans documents, the same simulator settings as scenario 1, into PostgreSQL 15 on loopback (binary
COPY into a staging table, one \`INSERT … ON CONFLICT\` per batch, state in the same transaction), alternating with
the same sync into DuckDB. Rows/s is end to end (process wall time); RSS and CPU are the sync process's own, not
PostgreSQL's. Median of ${runs} run(s), (min–max).

| destination | rows/s | CPU s (sync process) | peak RSS (MB) |
|---|---|---|---|
| PostgreSQL 15 | ${cell(p.rps)} | ${cell(p.cpu, 1)} | ${cell(p.rss)} |
| DuckDB | ${cell(d.rps)} | ${cell(d.cpu, 1)} | ${cell(d.rss)} |
`;
  return {
    section,
    headline: [
      {
        scenario: '5 PostgreSQL',
        metric: `rows/s at ${fmt(records)}`,
        measured: fmt(p.rps.median),
        target: '≥ 50,000',
        met: p.rps.median >= 50_000,
      },
      {
        scenario: '5 PostgreSQL',
        metric: 'peak RSS',
        measured: `${fmt(p.rss.median)} MB`,
        target: '(reported, no target)',
        met: undefined,
      },
    ],
  };
}
