/**
 * Destinations the reliability suite writes into, behind one small interface: a DuckDB file, or a
 * PostgreSQL schema or MySQL database of its own (dropped afterwards). Each can be dumped canonically, so a trial's tables can
 * be compared value for value with a clean sync's, and scanned whole (bookkeeping included) for secrets.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type mysql from 'mysql2/promise';
import pg from 'pg';
import { MYSQL_TEST_URL, mysqlAdmin, mysqlTestsRun } from '../mysql.js';
import { postgresTestsRun } from '../postgres.js';

export type DestKind = 'duckdb' | 'postgres' | 'mysql';

export const PG_URL = process.env.TRIBUTARY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Columns that differ between any two syncs by design: when a row was written, and the pass id. */
export const VOLATILE = new Set(['_tributary_synced_at', '_tributary_pass', 'timestamp']);

/** Whether PostgreSQL tests run: unreachable means skip with a notice, except under CI=true (then fail). */
export function postgresAvailable(): Promise<boolean> {
  return postgresTestsRun('reliability', PG_URL);
}

let adminPool: pg.Pool | undefined;
function admin(): pg.Pool {
  if (adminPool === undefined) {
    adminPool = new pg.Pool({ connectionString: PG_URL, max: 2 });
    adminPool.on('error', () => undefined);
  }
  return adminPool;
}

export async function closeAdmin(): Promise<void> {
  const p = adminPool;
  adminPool = undefined;
  await p?.end().catch(() => undefined);
  const m = mysqlPool;
  mysqlPool = undefined;
  await m?.end().catch(() => undefined);
}

/** Whether MySQL/MariaDB tests run: unreachable means skip with a notice, except under CI=true (then fail). */
export function mysqlAvailable(): Promise<boolean> {
  return mysqlTestsRun('reliability', MYSQL_TEST_URL);
}

/** Whether the tests of a destination kind run (DuckDB always does). */
export function destAvailable(kind: DestKind): Promise<boolean> {
  if (kind === 'postgres') return postgresAvailable();
  if (kind === 'mysql') return mysqlAvailable();
  return Promise.resolve(true);
}

let mysqlPool: mysql.Pool | undefined;

/** SQL against the test MySQL, in the portable dialect the suite writes (double-quoted identifiers). */
export async function mysqlQuery(sql: string): Promise<Record<string, unknown>[]> {
  mysqlPool ??= mysqlAdmin();
  return (await mysqlPool.query(sql))[0] as Record<string, unknown>[];
}

export async function pgQuery(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  return (await admin().query(sql, params)).rows;
}

export interface Target {
  kind: DestKind;
  /** `--destination` value. */
  url: string;
  /** `--namespace` value (the schema). */
  namespace: string;
  /** CLI arguments selecting this destination and schema. */
  args: string[];
  /** Where a DuckDB file lives (undefined for PostgreSQL). */
  file?: string;
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** Stream tables (no bookkeeping) → canonical rows (sorted JSON lines without volatile columns). */
  dump(opts?: { where?: string }): Promise<Record<string, string[]>>;
  /** Stream tables → column → type, as the database names it. */
  columnTypes(): Promise<Record<string, Record<string, string>>>;
  /** Stream name → state JSON. */
  states(): Promise<Record<string, Record<string, unknown>>>;
  /** Every table of the schema, bookkeeping included, as text (for the secret scanner). */
  everything(): Promise<string>;
  /** Whether the schema exists at all (a sync that failed before opening created nothing). */
  exists(): Promise<boolean>;
  drop(): Promise<void>;
}

function qi(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
function ql(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function canonical(row: Record<string, unknown>, skip: ReadonlySet<string>): string {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(row).sort()) {
    if (skip.has(k)) continue;
    const v = row[k];
    out[k] = v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? String(v) : v;
  }
  return JSON.stringify(out);
}

/** Open a DuckDB file read-only for a few queries (the syncing process has exited by then). */
export async function withDuckDb<T>(
  path: string,
  fn: (q: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>,
): Promise<T> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  try {
    const conn = await instance.connect();
    try {
      return await fn(
        async (sql) => (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[],
      );
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

export function duckDbTarget(dir: string, name: string, namespace: string): Target {
  const file = join(dir, `${name}.duckdb`);
  const url = `duckdb:${file}`;
  const streamTables = (q: (sql: string) => Promise<Record<string, unknown>[]>) =>
    q(
      `select table_name from information_schema.tables where table_schema = ${ql(namespace)} ` +
        `and table_name not like '\\_tributary%' escape '\\' order by 1`,
    ).then((r) => r.map((x) => String(x.table_name)));
  const t: Target = {
    kind: 'duckdb',
    url,
    namespace,
    file,
    args: ['--destination', url, '--namespace', namespace],
    query: (sql) => withDuckDb(file, (q) => q(sql)),
    dump: ({ where } = {}) =>
      withDuckDb(file, async (q) => {
        const out: Record<string, string[]> = {};
        for (const table of await streamTables(q)) {
          const rows = await q(
            `select * from ${qi(namespace)}.${qi(table)}${where ? ` where ${where}` : ''}`,
          );
          out[table] = rows.map((r) => canonical(r, VOLATILE)).sort();
        }
        return out;
      }),
    columnTypes: () =>
      withDuckDb(file, async (q) => {
        const out: Record<string, Record<string, string>> = {};
        for (const table of await streamTables(q)) {
          const cols = await q(
            `select column_name, data_type from information_schema.columns where table_schema = ${ql(namespace)} and table_name = ${ql(table)}`,
          );
          out[table] = Object.fromEntries(cols.map((c) => [String(c.column_name), String(c.data_type)]));
        }
        return out;
      }),
    states: async () => {
      if (!existsSync(file)) return {};
      return withDuckDb(file, async (q) => {
        const exists = await q(
          `select 1 from information_schema.tables where table_schema = ${ql(namespace)} and table_name = '_tributary_state'`,
        );
        if (exists.length === 0) return {};
        const rows = await q(
          `select stream, cast(state as varchar) as state from ${qi(namespace)}._tributary_state`,
        );
        return Object.fromEntries(rows.map((r) => [String(r.stream), JSON.parse(String(r.state))]));
      });
    },
    everything: async () => {
      if (!existsSync(file)) return '';
      const tables = await withDuckDb(file, async (q) => {
        const names = await q(`select table_schema, table_name from information_schema.tables order by 1, 2`);
        const parts: string[] = [];
        for (const n of names) {
          const rows = await q(`select * from ${qi(String(n.table_schema))}.${qi(String(n.table_name))}`);
          parts.push(
            `${n.table_schema}.${n.table_name}\n${rows.map((r) => canonical(r, new Set())).join('\n')}`,
          );
        }
        return parts.join('\n');
      });
      // The raw file too (and a WAL left behind): belt and braces, DuckDB may store short strings inline.
      const raw = [file, `${file}.wal`]
        .filter((f) => existsSync(f))
        .map((f) => readFileSync(f).toString('latin1'))
        .join('\n');
      return `${tables}\n${raw}`;
    },
    exists: async () => {
      if (!existsSync(file)) return false;
      return withDuckDb(file, async (q) => {
        const r = await q(`select 1 from information_schema.schemata where schema_name = ${ql(namespace)}`);
        return r.length > 0;
      });
    },
    drop: async () => {
      for (const f of [file, `${file}.wal`]) rmSync(f, { force: true });
    },
  };
  return t;
}

/** A PostgreSQL schema of its own, `rel_<prefix>_<random>`; `drop` removes it. */
export function postgresTarget(prefix: string, url = PG_URL): Target {
  const namespace = `rel_${prefix}_${randomBytes(4).toString('hex')}`.toLowerCase().slice(0, 60);
  const streamTables = async () =>
    (
      await pgQuery(
        `select table_name from information_schema.tables where table_schema = $1 and table_type = 'BASE TABLE' ` +
          `and table_name not like '\\_tributary%' order by 1`,
        [namespace],
      )
    ).map((r) => String(r.table_name));
  return {
    kind: 'postgres',
    url,
    namespace,
    args: ['--destination', url, '--namespace', namespace],
    query: (sql) => pgQuery(sql),
    dump: async ({ where } = {}) => {
      const out: Record<string, string[]> = {};
      for (const table of await streamTables()) {
        const rows = await pgQuery(
          `select * from ${qi(namespace)}.${qi(table)}${where ? ` where ${where}` : ''}`,
        );
        out[table] = rows.map((r) => canonical(r, VOLATILE)).sort();
      }
      return out;
    },
    columnTypes: async () => {
      const out: Record<string, Record<string, string>> = {};
      for (const table of await streamTables()) {
        const cols = await pgQuery(
          'select column_name, data_type from information_schema.columns where table_schema = $1 and table_name = $2',
          [namespace, table],
        );
        out[table] = Object.fromEntries(cols.map((c) => [String(c.column_name), String(c.data_type)]));
      }
      return out;
    },
    states: async () => {
      const exists = await pgQuery(
        `select 1 from information_schema.tables where table_schema = $1 and table_name = '_tributary_state'`,
        [namespace],
      );
      if (exists.length === 0) return {};
      const rows = await pgQuery(
        `select stream, state::text as state from ${qi(namespace)}._tributary_state`,
      );
      return Object.fromEntries(rows.map((r) => [String(r.stream), JSON.parse(String(r.state))]));
    },
    everything: async () => {
      const names = await pgQuery(
        `select table_name from information_schema.tables where table_schema = $1 order by 1`,
        [namespace],
      );
      const parts: string[] = [];
      for (const n of names) {
        const rows = await pgQuery(`select * from ${qi(namespace)}.${qi(String(n.table_name))}`);
        parts.push(`${n.table_name}\n${rows.map((r) => canonical(r, new Set())).join('\n')}`);
      }
      // Comments on tables and columns are part of the schema too.
      const comments = await pgQuery(
        `select obj_description(c.oid) as d from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1`,
        [namespace],
      );
      parts.push(comments.map((c) => String(c.d ?? '')).join('\n'));
      return parts.join('\n');
    },
    exists: async () =>
      (await pgQuery('select 1 from information_schema.schemata where schema_name = $1', [namespace]))
        .length > 0,
    drop: async () => {
      await pgQuery(`drop schema if exists ${qi(namespace)} cascade`);
    },
  };
}

/** A MySQL/MariaDB namespace (a database) of its own, `rel_<prefix>_<random>`; `drop` removes it. */
export function mysqlTarget(prefix: string, url = MYSQL_TEST_URL): Target {
  const namespace = `rel_${prefix}_${randomBytes(4).toString('hex')}`.toLowerCase().slice(0, 60);
  const tablesWhere = `table_schema = ${ql(namespace)}`;
  const streamTables = async () =>
    (
      await mysqlQuery(
        `select table_name as t from information_schema.tables where ${tablesWhere} and table_type = 'BASE TABLE' ` +
          `and table_name not like '\\_tributary%' escape '\\' order by 1`,
      )
    ).map((r) => String(r.t));
  return {
    kind: 'mysql',
    url,
    namespace,
    args: ['--destination', url, '--namespace', namespace],
    query: (sql) => mysqlQuery(sql),
    dump: async ({ where } = {}) => {
      const out: Record<string, string[]> = {};
      for (const table of await streamTables()) {
        const rows = await mysqlQuery(
          `select * from ${qi(namespace)}.${qi(table)}${where ? ` where ${where}` : ''}`,
        );
        out[table] = rows.map((r) => canonical(r, VOLATILE)).sort();
      }
      return out;
    },
    columnTypes: async () => {
      const out: Record<string, Record<string, string>> = {};
      for (const table of await streamTables()) {
        const cols = await mysqlQuery(
          `select column_name as c, column_type as t from information_schema.columns where ${tablesWhere} and table_name = ${ql(table)}`,
        );
        out[table] = Object.fromEntries(cols.map((c) => [String(c.c), String(c.t)]));
      }
      return out;
    },
    states: async () => {
      const exists = await mysqlQuery(
        `select 1 from information_schema.tables where ${tablesWhere} and table_name = '_tributary_state'`,
      );
      if (exists.length === 0) return {};
      const rows = await mysqlQuery(`select stream, state from ${qi(namespace)}._tributary_state`);
      return Object.fromEntries(rows.map((r) => [String(r.stream), JSON.parse(String(r.state))]));
    },
    everything: async () => {
      const names = await mysqlQuery(
        `select table_name as t, table_comment as c from information_schema.tables where ${tablesWhere} order by 1`,
      );
      const parts: string[] = [];
      for (const n of names) {
        const rows = await mysqlQuery(`select * from ${qi(namespace)}.${qi(String(n.t))}`);
        // Table comments are part of the schema too.
        parts.push(`${n.t} ${n.c}\n${rows.map((r) => canonical(r, new Set())).join('\n')}`);
      }
      return parts.join('\n');
    },
    exists: async () =>
      (await mysqlQuery(`select 1 from information_schema.schemata where schema_name = ${ql(namespace)}`))
        .length > 0,
    drop: async () => {
      await mysqlQuery(`drop database if exists ${qi(namespace)}`);
    },
  };
}

export function makeTarget(kind: DestKind, dir: string, name: string, namespace: string): Target {
  if (kind === 'duckdb') return duckDbTarget(dir, name, namespace);
  const prefix = name.replace(/\W/g, '_');
  return kind === 'mysql' ? mysqlTarget(prefix) : postgresTarget(prefix);
}
