/**
 * MySQL/MariaDB bulk path: LOAD DATA LOCAL INFILE from a stream vs multi-row INSERT statements.
 *
 *   npx tsx bench/mysql-bulk.ts [--rows 100000] [--batch 10000] [--columns 10]
 *
 * For each method: a fresh namespace, `--rows` rows of `--columns` columns (id, text with tabs, newlines,
 * backslashes and unicode, integers, doubles, booleans, timestamps) written in batches of `--batch` through
 * MysqlDestination.write (staging, upsert, state: one transaction per batch), then a second pass over the
 * same ids (every row an update). Prints rows/s of each pass and checks a sample of values read back.
 * Uses TRIBUTARY_TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306/test).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import type { Row, TableSpec } from '../src/destinations/destination.js';
import { MysqlDestination } from '../src/destinations/mysql/mysql-dialect.js';
import { MysqlTx } from '../src/destinations/mysql/mysql-session.js';
import { type BulkMethod, MysqlStaging } from '../src/destinations/mysql/mysql-staging.js';
import { checkRows } from '../src/destinations/sql/rows.js';
import { arg } from './arg.js';

const URL_ = process.env.TRIBUTARY_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

const ROWS = Number(arg('rows', '100000'));
const BATCH = Number(arg('batch', '10000'));

const SPEC: TableSpec = {
  stream: 'bench_rows',
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: 'bigint' },
    { name: 'name', type: 'varchar' },
    { name: 'email', type: 'varchar' },
    { name: 'age', type: 'bigint' },
    { name: 'score', type: 'double' },
    { name: 'active', type: 'boolean' },
    { name: 'created_at', type: 'timestamp' },
    { name: 'city', type: 'varchar' },
    { name: 'visits', type: 'bigint' },
    { name: 'notes', type: 'varchar' },
  ],
};

const CITIES = ['Berlin', 'Paris', 'Tōkyō', 'São Paulo', 'Málaga', 'Zürich 🏔'];

function makeRows(from: number, count: number, pass: number): Row[] {
  const rows: Row[] = new Array(count);
  const base = Date.UTC(2020, 0, 1);
  for (let j = 0; j < count; j++) {
    const i = from + j;
    const r = (Math.imul(i + pass, 2654435761) >>> 0) / 4294967296;
    rows[j] = {
      id: i,
      name: `Person ${i}`,
      email: `person${i}@example.com`,
      age: 18 + (i % 60),
      score: r * 100,
      active: i % 3 !== 0,
      created_at: new Date(base + Math.floor(r * 1.5e11)).toISOString().replace('Z', `${i % 1000}Z`),
      city: CITIES[i % CITIES.length]!,
      visits: i % 7 === 0 ? '9223372036854775807' : Math.floor(r * 1e6),
      notes: i % 10 === 0 ? `tab\there\nnew line \\ back\0nul ${pass}` : i % 11 === 0 ? '' : `note ${i}`,
    };
  }
  return rows;
}

/** CPU seconds (user + system) of the local MariaDB/MySQL server, or NaN when it is not on this machine. */
function serverCpuSeconds(): number {
  try {
    const pid = execFileSync('pidof', ['mariadbd', 'mysqld'], { encoding: 'utf8' }).trim().split(/\s+/)[0];
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function clientCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function connectionOptions(): mysql.ConnectionOptions {
  const u = new URL(URL_);
  return {
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.slice(1)),
    charset: 'utf8mb4',
    supportBigNumbers: true,
    bigNumberStrings: true,
  };
}

/**
 * The bulk path alone: the batches into the TEMPORARY staging table, one transaction each, nothing else.
 * Returns rows/s and CPU seconds (client, server) per 100k rows.
 */
async function measureStaging(method: BulkMethod): Promise<{ rate: number; client: number; server: number }> {
  const conn = await mysql.createConnection(connectionOptions());
  const tx = new MysqlTx(conn as unknown as mysql.PoolConnection);
  const staging = new MysqlStaging(
    (t) => `\`${t}\``,
    () => method,
    () => 16 * 1024 * 1024,
    () => 'ENGINE = InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin',
  );
  const columns = SPEC.columns.map((c) => ({ name: c.name, source: c.name, type: c.type }));
  let [ms, client, server] = [0, 0, 0];
  for (let from = 0; from < ROWS; from += BATCH) {
    const checked = checkRows(SPEC, makeRows(from, Math.min(BATCH, ROWS - from), 0), { storesNul: true });
    const [t, c0, s0] = [performance.now(), clientCpuSeconds(), serverCpuSeconds()];
    await conn.query('START TRANSACTION');
    await staging.stage(tx, columns, checked);
    await staging.clear(tx);
    await conn.query('COMMIT');
    [ms, client, server] = [
      ms + performance.now() - t,
      client + clientCpuSeconds() - c0,
      server + serverCpuSeconds() - s0,
    ];
  }
  await conn.end();
  const per = 100_000 / ROWS;
  return { rate: ROWS / (ms / 1000), client: client * per, server: server * per };
}

async function measure(method: BulkMethod): Promise<{ insert: number; update: number }> {
  const namespace = `trb_bench_${randomBytes(4).toString('hex')}`;
  const dest = new MysqlDestination(URL_, { namespace, connector: 'bench', bulkMethod: method });
  await dest.open();
  const rates: number[] = [];
  try {
    for (const pass of [0, 1]) {
      const t = performance.now();
      for (let from = 0; from < ROWS; from += BATCH) {
        await dest.write({
          runId: 'bench',
          stream: SPEC.stream,
          table: SPEC,
          rows: makeRows(from, Math.min(BATCH, ROWS - from), pass),
          state: { from },
          syncedAt: new Date(),
          mode: 'upsert',
        });
      }
      rates.push(ROWS / ((performance.now() - t) / 1000));
    }
  } finally {
    await dest.close();
  }
  const u = new URL(URL_);
  const conn = await mysql.createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>(
      `SELECT count(*) AS n, SUM(notes LIKE 'tab\\there\\nnew line \\\\\\\\ back\\0nul 1') AS odd FROM \`${namespace}\`.bench_rows`,
    );
    if (Number(rows[0]!.n) !== ROWS || Number(rows[0]!.odd) !== Math.ceil(ROWS / 10))
      throw new Error(`read back ${JSON.stringify(rows[0])}`);
    await conn.query(`DROP DATABASE \`${namespace}\``);
  } finally {
    await conn.end();
  }
  return { insert: rates[0]!, update: rates[1]! };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en');
const results: string[] = [];
for (const method of arg('methods', 'load-data,insert').split(',') as BulkMethod[]) {
  const s = await measureStaging(method);
  const r = await measure(method);
  results.push(
    `| ${method} | ${fmt(s.rate)} | ${s.client.toFixed(2)} | ${s.server.toFixed(2)} | ${fmt(r.insert)} | ${fmt(r.update)} |`,
  );
}
console.log(
  `${ROWS} rows of ${SPEC.columns.length} columns, batches of ${BATCH}\n\n` +
    '| method | staging rows/s | staging CPU s per 100k rows: client | server | write rows/s (new rows) | write rows/s (all updates) |\n' +
    `|---|---|---|---|---|---|\n${results.join('\n')}`,
);
