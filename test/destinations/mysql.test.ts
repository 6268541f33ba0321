/**
 * What the MySQL/MariaDB destination must do beyond the shared conformance suite: exact values through both
 * bulk paths, MySQL's identifier and key limits, the namespace lock, lost connections, errors that name
 * what is wrong without the password, widening and swaps cut short, and the reader. Against the server at
 * TRIBUTARY_TEST_MYSQL_URL (default the local test database); each test uses its own namespace.
 */
import { randomBytes } from 'node:crypto';
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Row, TableSpec, WriteBatch } from '../../src/destinations/destination.js';
import { lockName } from '../../src/destinations/mysql/mysql-lock.js';
import {
  MysqlDestination,
  type MysqlDestinationOptions,
} from '../../src/destinations/mysql/mysql-dialect.js';
import { isTransientError } from '../../src/destinations/mysql/mysql-errors.js';
import { MysqlReader } from '../../src/destinations/mysql/mysql-reader.js';
import { DestinationError } from '../../src/errors.js';
import { MYSQL_TEST_URL, mysqlAdmin, mysqlTestsRun } from '../helpers/mysql.js';

const run = await mysqlTestsRun('mysql tests');
const describeMysql = run ? describe : describe.skip;

let admin: mysql.Pool;
const databases: string[] = [];
const destinations: MysqlDestination[] = [];

function fresh(prefix = 'trb_my'): string {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  databases.push(name);
  return name;
}

/** The test URL with another login database (sessions of one destination can then be told apart). */
function urlWithDatabase(database: string): string {
  const u = new URL(MYSQL_TEST_URL);
  u.pathname = `/${database}`;
  return u.href;
}

function destination(namespace: string, extra: Partial<MysqlDestinationOptions> = {}, url = MYSQL_TEST_URL) {
  const d = new MysqlDestination(url, {
    namespace,
    connector: 'test',
    lockTimeoutMs: 1000,
    retryDelayMs: 50,
    ...extra,
  });
  destinations.push(d);
  return d;
}

async function opened(namespace: string, extra: Partial<MysqlDestinationOptions> = {}, url?: string) {
  const d = destination(namespace, extra, url);
  await d.open();
  return d;
}

async function q(sql: string): Promise<Record<string, unknown>[]> {
  return (await admin.query(sql))[0] as Record<string, unknown>[];
}

const USERS: TableSpec = {
  stream: 'users',
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: 'bigint' },
    { name: 'name', type: 'varchar' },
  ],
};

function batch(extra: Partial<WriteBatch> & { rows: Row[] }): WriteBatch {
  return {
    runId: 'run-1',
    stream: 'users',
    table: USERS,
    state: { n: extra.rows.length },
    syncedAt: new Date('2024-05-01T10:00:00.000Z'),
    mode: 'upsert',
    ...extra,
  };
}

async function expectDestError(p: Promise<unknown>, code: string): Promise<DestinationError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DestinationError);
  expect((err as DestinationError).code, (err as Error).message).toBe(code);
  return err as DestinationError;
}

describeMysql('mysql destination', () => {
  beforeAll(() => {
    admin = mysqlAdmin();
  });
  afterEach(async () => {
    for (const d of destinations.splice(0)) await d.close();
    for (const db of databases.splice(0)) await q(`DROP DATABASE IF EXISTS "${db}"`);
  });
  afterAll(async () => {
    await admin?.end();
  });

  describe('values', () => {
    for (const bulkMethod of ['load-data', 'insert'] as const) {
      it(`round-trips awkward text, exact numbers and microsecond timestamps (${bulkMethod})`, async () => {
        const ns = fresh();
        const d = await opened(ns, { bulkMethod });
        const texts = [
          '',
          'NUL\0inside',
          '\\N',
          'tab\there',
          'new\nline\r\nand CR\r',
          'back\\slash \\t \\0 \\\\',
          'quote \' and " and `',
          'emoji 🎉 名前 Ωμέγα',
          ' padded ',
          'x'.repeat(70_000),
        ];
        const spec: TableSpec = {
          stream: 'vals',
          primaryKey: ['id'],
          columns: [
            { name: 'id', type: 'bigint' },
            { name: 's', type: 'varchar' },
            { name: 'n', type: 'bigint' },
            { name: 'x', type: 'decimal' },
            { name: 'ts', type: 'timestamp' },
          ],
        };
        const exact = [
          '1e400',
          '12345678901234567890123456789012345678901',
          '-0.000000000000000000000000000000001',
        ];
        const rows: Row[] = texts.map((s, i) => ({
          id: i,
          s,
          n: i === 0 ? '9223372036854775807' : i === 1 ? '-9223372036854775808' : i,
          x: exact[i % exact.length]!,
          ts: i === 0 ? '2024-01-15T12:34:56.123456Z' : i === 1 ? '2024-06-01T02:00:00.5+02:00' : null,
        }));
        rows.push({ id: 100, s: null, n: null, x: null, ts: null });
        await d.write(batch({ stream: 'vals', table: spec, rows }));
        const got = await q(
          `SELECT id, s, CAST(n AS CHAR) AS n, x, CAST(ts AS CHAR) AS ts FROM "${ns}"."vals" ORDER BY id`,
        );
        expect(got.map((r) => r.s)).toEqual([...texts, null]);
        expect(got.map((r) => r.n)).toEqual([
          '9223372036854775807',
          '-9223372036854775808',
          ...texts.slice(2).map((_, i) => String(i + 2)),
          null,
        ]);
        expect(got.map((r) => r.x)).toEqual([...rows.slice(0, -1).map((r) => r.x), null]);
        expect(got.slice(0, 3).map((r) => r.ts)).toEqual([
          '2024-01-15 12:34:56.123456',
          '2024-06-01 00:00:00.500000',
          null,
        ]);
      });
    }

    it('widens a bigint column whose value is beyond int64, and keeps NUL without a warning', async () => {
      const ns = fresh();
      const d = await opened(ns);
      const spec: TableSpec = { ...USERS, columns: [...USERS.columns, { name: 'big', type: 'bigint' }] };
      const result = await d.write(
        batch({ table: spec, rows: [{ id: 1, name: 'a\0b', big: '123456789012345678901234567890' }] }),
      );
      expect(result.warnings ?? []).toEqual([]);
      expect(await q(`SELECT name, big FROM "${ns}"."users"`)).toEqual([
        { name: 'a\0b', big: '123456789012345678901234567890' },
      ]);
    });

    it('replaces unpaired surrogates and says so in the result', async () => {
      const ns = fresh();
      const d = await opened(ns);
      const result = await d.write(batch({ rows: [{ id: 1, name: 'lone \ud800 surrogate' }] }));
      expect(result.warnings?.map((w) => w.code)).toEqual(['TRB_DEST_INVALID_UTF16']);
      expect(await q(`SELECT name FROM "${ns}"."users"`)).toEqual([{ name: 'lone \ufffd surrogate' }]);
    });
  });

  describe('keys and names', () => {
    it('keeps keys that differ only in case or trailing spaces apart (binary NO PAD collation)', async () => {
      const ns = fresh();
      const d = await opened(ns);
      const spec: TableSpec = { stream: 'k', primaryKey: ['id'], columns: [{ name: 'id', type: 'varchar' }] };
      await d.write(
        batch({ stream: 'k', table: spec, rows: [{ id: 'a' }, { id: 'A' }, { id: 'a ' }, { id: 'á' }] }),
      );
      expect((await q(`SELECT id FROM "${ns}"."k" ORDER BY id`)).length).toBe(4);
    });

    it('refuses a text key longer than the key limit with a message that says why, writing nothing', async () => {
      const ns = fresh();
      const d = await opened(ns);
      const spec: TableSpec = {
        stream: 'k',
        primaryKey: ['id'],
        columns: [
          { name: 'id', type: 'varchar' },
          { name: 'v', type: 'bigint' },
        ],
      };
      await d.write(batch({ stream: 'k', table: spec, rows: [{ id: 'ok', v: 1 }], state: { n: 1 } }));
      const err = await expectDestError(
        d.write(batch({ stream: 'k', table: spec, rows: [{ id: 'y'.repeat(769), v: 2 }], state: { n: 2 } })),
        'TRB_DEST_WRITE',
      );
      expect(err.message).toContain('768 characters');
      expect(await q(`SELECT id FROM "${ns}"."k"`)).toEqual([{ id: 'ok' }]);
      expect((await d.readStates()).k).toEqual({ n: 1 });
      // 768 characters of 4 bytes each fit.
      await d.write(batch({ stream: 'k', table: spec, rows: [{ id: '🎉'.repeat(768), v: 3 }] }));
    });

    it('maps names MySQL cannot hold (over 64 characters) to stable shorter ones and records them', async () => {
      const ns = fresh();
      const d = await opened(ns);
      const stream = `s_${'long'.repeat(20)}`;
      const column = `c_${'wide'.repeat(20)}`;
      const spec: TableSpec = {
        stream,
        primaryKey: ['id'],
        columns: [
          { name: 'id', type: 'bigint' },
          { name: column, type: 'varchar' },
        ],
      };
      await d.write(batch({ stream, table: spec, rows: [{ id: 1, [column]: 'one' }] }));
      await d.write(batch({ stream, table: spec, rows: [{ id: 2, [column]: 'two' }] }));
      const names = await q(`SELECT kind, original, truncated FROM "${ns}"."_tributary_names" ORDER BY kind`);
      expect(names.map((n) => [n.kind, n.original])).toEqual([
        ['column', column],
        ['table', stream],
      ]);
      for (const n of names) expect(String(n.truncated).length).toBeLessThanOrEqual(64);
      const table = String(names.find((n) => n.kind === 'table')!.truncated);
      const col = String(names.find((n) => n.kind === 'column')!.truncated);
      expect(await q(`SELECT id, "${col}" AS v FROM "${ns}"."${table}" ORDER BY id`)).toEqual([
        { id: '1', v: 'one' },
        { id: '2', v: 'two' },
      ]);
      expect(await d.countPassRows(stream, 'none', 'upsert')).toBe(0);
    });

    it('refuses two columns MySQL would take for one (names differ only in case)', async () => {
      const ns = fresh();
      const d = await opened(ns);
      const spec: TableSpec = {
        stream: 'c',
        primaryKey: ['id'],
        columns: [
          { name: 'id', type: 'bigint' },
          { name: 'Name', type: 'varchar' },
          { name: 'name', type: 'varchar' },
        ],
      };
      await expectDestError(
        d.write(batch({ stream: 'c', table: spec, rows: [{ id: 1 }] })),
        'TRB_DEST_SCHEMA',
      );
    });
  });

  describe('open and errors', () => {
    it('describes itself without the password, and a rejected login is TRB_DEST_OPEN without it', async () => {
      const u = new URL(MYSQL_TEST_URL);
      u.password = 's3cret-pass';
      const d = destination(fresh(), {}, u.href);
      expect(d.description).not.toContain('s3cret-pass');
      const err = await expectDestError(d.open(), 'TRB_DEST_OPEN');
      expect(err.message).not.toContain('s3cret-pass');
      expect(JSON.stringify(err.details)).not.toContain('s3cret-pass');
      expect(err.exitCode).toBe(2);
    });

    it('a server that does not answer is TRB_DEST_UNREACHABLE (exit 1); a URL without a database is TRB_DEST_OPEN', async () => {
      const err = await expectDestError(
        destination(fresh(), { connectTimeoutMs: 2000 }, 'mysql://root@127.0.0.1:1/test').open(),
        'TRB_DEST_UNREACHABLE',
      );
      expect(err.exitCode).toBe(1);
      await expectDestError(
        destination(fresh(), {}, 'mariadb://root@127.0.0.1:3306').open(),
        'TRB_DEST_OPEN',
      );
    });

    it('works for a user with rights on the namespace database alone (no CREATE on *.*)', async () => {
      const ns = fresh();
      const user = `trb_lim_${randomBytes(3).toString('hex')}`;
      await q(`CREATE DATABASE "${ns}"`);
      await q(`CREATE USER '${user}'@'%' IDENTIFIED BY 'limited-pw-77'`);
      try {
        await q(
          `GRANT CREATE, ALTER, DROP, INDEX, SELECT, INSERT, UPDATE, DELETE, CREATE TEMPORARY TABLES ON "${ns}".* TO '${user}'@'%'`,
        );
        const u = new URL(urlWithDatabase(ns));
        u.username = user;
        u.password = 'limited-pw-77';
        const d = await opened(ns, {}, u.href);
        await d.write(batch({ rows: [{ id: 1, name: 'a' }] }));
        const wider: TableSpec = { ...USERS, columns: [{ name: 'id', type: 'varchar' }, USERS.columns[1]!] };
        await d.write(batch({ table: wider, rows: [{ id: 'x', name: 'b' }], mode: 'replace', passId: 'p' }));
        await d.finishReplace('users', wider, { done: true });
        expect(await q(`SELECT id, name FROM "${ns}"."users"`)).toEqual([{ id: 'x', name: 'b' }]);
        // Another namespace is refused at open, naming the rights it needs.
        const err = await expectDestError(destination(fresh(), {}, u.href).open(), 'TRB_DEST_OPEN');
        expect(err.message).toContain('CREATE TEMPORARY TABLES');
      } finally {
        await q(`DROP USER IF EXISTS '${user}'@'%'`);
      }
    });

    it('retries a transaction after a deadlock, replaying all of it', async () => {
      const ns = fresh();
      const d = await opened(ns);
      const connection = (
        d as unknown as {
          dialect: { connection: import('../../src/destinations/mysql/mysql-session.js').MysqlSession };
        }
      ).dialect.connection;
      const attempts: number[] = [];
      const result = await connection.transaction('testing', 'x', async (tx, attempt) => {
        attempts.push(attempt);
        await tx.run(`CREATE TEMPORARY TABLE IF NOT EXISTS "${ns}".t (a int)`.replaceAll('"', '`'));
        if (attempt === 1)
          throw Object.assign(new Error('Deadlock found'), { code: 'ER_LOCK_DEADLOCK', errno: 1213 });
        return 'done';
      });
      expect(result).toBe('done');
      expect(attempts).toEqual([1, 2]);
      expect(isTransientError({ code: 'ER_LOCK_WAIT_TIMEOUT', errno: 1205 })).toBe(true);
      expect(isTransientError({ code: 'ER_DUP_ENTRY', errno: 1062 })).toBe(false);
    });
  });

  describe('lock and lost sessions', () => {
    it('a second sync of the namespace waits, then fails with TRB_DEST_LOCKED (exit 3); it opens once the first closes', async () => {
      const ns = fresh();
      const first = await opened(ns);
      const started = Date.now();
      const err = await expectDestError(destination(ns, { lockTimeoutMs: 500 }).open(), 'TRB_DEST_LOCKED');
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
      expect(err.exitCode).toBe(3);
      expect(err.message).toContain(ns);
      await first.close();
      await opened(ns);
    });

    it('takes the lock again when its session dies, and stops if another sync took it meanwhile', async () => {
      const ns = fresh();
      const d = await opened(ns);
      await d.write(batch({ rows: [{ id: 1 }] }));
      const killLock = async () => {
        const [r] = await q(`SELECT IS_USED_LOCK('${lockName(ns)}') AS id`);
        await q(`KILL CONNECTION ${Number(r!.id)}`);
      };
      await killLock();
      await d.write(batch({ rows: [{ id: 2 }] }));
      await killLock();
      const intruder = await opened(ns);
      const err = await expectDestError(d.write(batch({ rows: [{ id: 3 }] })), 'TRB_DEST_LOCKED');
      expect(err.message).toContain('lost the lock session');
      await intruder.write(batch({ rows: [{ id: 4 }] }));
      expect((await q(`SELECT id FROM "${ns}"."users" ORDER BY id`)).map((r) => r.id)).toEqual([
        '1',
        '2',
        '4',
      ]);
    });

    it('replays a batch whose session is killed during LOAD DATA, with an exact result', async () => {
      const ns = fresh();
      const login = fresh('trb_login');
      await q(`CREATE DATABASE "${login}"`);
      const d = await opened(ns, {}, urlWithDatabase(login));
      const rows: Row[] = [];
      for (let i = 0; i < 200_000; i++) rows.push({ id: i, name: `name ${i} ${'x'.repeat(40)}` });
      let settled = false;
      const killer = (async () => {
        const until = Date.now() + 60_000;
        while (!settled && Date.now() < until) {
          const busy = await q(
            `SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = '${login}' AND INFO LIKE 'LOAD DATA%'`,
          );
          if (busy.length > 0) {
            await q(`KILL CONNECTION ${Number(busy[0]!.id)}`);
            return 1;
          }
        }
        return 0;
      })();
      const result = await d.write(batch({ rows, state: { n: 'big' } })).finally(() => {
        settled = true;
      });
      expect(await killer).toBe(1);
      expect(result.rowsWritten).toBe(200_000);
      expect(await q(`SELECT count(*) AS n, CAST(SUM(id) AS CHAR) AS s FROM "${ns}"."users"`)).toEqual([
        { n: '200000', s: String((199_999 * 200_000) / 2) },
      ]);
      expect(await d.readStates()).toEqual({ users: { n: 'big' } });
    });
  });

  describe('widening', () => {
    it('widened doubles and timestamps read as the text the engine would have written', async () => {
      const ns = fresh();
      const d = await opened(ns);
      const doubles = [
        0.1,
        -1.5e-300,
        1e21,
        1e20,
        1234567890123507,
        1e-7,
        0.000001234,
        5e-324,
        -2.5,
        100,
        2 ** 53 + 2,
      ];
      const spec = (t: 'double' | 'varchar', at: 'timestamp' | 'varchar'): TableSpec => ({
        stream: 'w',
        primaryKey: ['id'],
        columns: [
          { name: 'id', type: 'bigint' },
          { name: 'v', type: t },
          { name: 'at', type: at },
        ],
      });
      const stamps = ['2024-01-15T12:34:56.789Z', '2024-01-15T12:34:56.123456Z', '2024-01-15T00:00:00Z'];
      await d.write(
        batch({
          stream: 'w',
          table: spec('double', 'timestamp'),
          rows: doubles.map((v, i) => ({ id: i, v, at: stamps[i % 3]! })),
        }),
      );
      await d.write(
        batch({ stream: 'w', table: spec('varchar', 'varchar'), rows: [{ id: 99, v: 'x', at: 'y' }] }),
      );
      const got = await q(`SELECT v, at FROM "${ns}"."w" WHERE id < 99 ORDER BY id`);
      expect(got.map((r) => r.v)).toEqual(doubles.map((v) => String(v)));
      expect(got.slice(0, 3).map((r) => r.at)).toEqual([
        '2024-01-15T12:34:56.789Z',
        '2024-01-15T12:34:56.123456Z',
        '2024-01-15T00:00:00.000Z',
      ]);
    });
  });

  describe('pre-existing tables', () => {
    it('adopts a compatible table (same key, managed types), adding the system columns', async () => {
      const ns = fresh();
      const d = await opened(ns);
      await q(`CREATE TABLE "${ns}"."users" (id BIGINT PRIMARY KEY, name LONGTEXT)`);
      await q(`INSERT INTO "${ns}"."users" VALUES (1, 'theirs')`);
      await d.write(batch({ rows: [{ id: 2, name: 'ours' }] }));
      expect(await q(`SELECT id, name, _tributary_deleted AS del FROM "${ns}"."users" ORDER BY id`)).toEqual([
        { id: '1', name: 'theirs', del: false },
        { id: '2', name: 'ours', del: false },
      ]);
    });

    it('refuses a column of a type tributary does not write, or a different key, and writes nothing', async () => {
      const ns = fresh();
      const d = await opened(ns);
      await q(`CREATE TABLE "${ns}"."users" (id BIGINT PRIMARY KEY, name VARCHAR(3))`);
      const err = await expectDestError(
        d.write(batch({ rows: [{ id: 1, name: 'abcdef' }] })),
        'TRB_DEST_SCHEMA',
      );
      expect(err.message).toContain('varchar(3)');
      await q(`CREATE TABLE "${ns}"."other" (code BIGINT PRIMARY KEY)`);
      const spec: TableSpec = { ...USERS, stream: 'other' };
      await expectDestError(
        d.write(batch({ stream: 'other', table: spec, rows: [{ id: 1 }] })),
        'TRB_DEST_SCHEMA',
      );
      expect(await q(`SELECT count(*) AS n FROM "${ns}"."users"`)).toEqual([{ n: '0' }]);
      expect(await d.readStates()).toEqual({});
    });
  });

  describe('DDL cut short', () => {
    it('a widening interrupted before its rename leaves the table as it was; the next one completes', async () => {
      const ns = fresh();
      const d = await opened(ns);
      const spec = (t: 'bigint' | 'varchar'): TableSpec => ({
        stream: 'w',
        primaryKey: ['id'],
        columns: [
          { name: 'id', type: 'bigint' },
          { name: 'v', type: t },
        ],
      });
      await d.write(batch({ stream: 'w', table: spec('bigint'), rows: [{ id: 1, v: 5 }] }));
      // What a crash after CREATE … LIKE and part of the copy leaves behind.
      await q(`CREATE TABLE "${ns}"."_tributary_widen_w" LIKE "${ns}"."w"`);
      await q(`INSERT INTO "${ns}"."_tributary_widen_w" SELECT * FROM "${ns}"."w"`);
      const result = await d.write(
        batch({ stream: 'w', table: spec('varchar'), rows: [{ id: 2, v: 'text' }] }),
      );
      expect(result.schemaChanges).toEqual([
        { stream: 'w', kind: 'widen_column', column: 'v', fromType: 'bigint', toType: 'varchar' },
      ]);
      expect(await q(`SELECT id, v FROM "${ns}"."w" ORDER BY id`)).toEqual([
        { id: '1', v: '5' },
        { id: '2', v: 'text' },
      ]);
      const tables = await q(
        `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${ns}' ORDER BY 1`,
      );
      expect(tables.map((t) => t.t)).not.toContain('_tributary_widen_w');
      expect(tables.map((t) => t.t)).not.toContain('_tributary_old_w');
      // A copy left by a crash between the rename and the drop goes at the next open.
      await q(`CREATE TABLE "${ns}"."_tributary_old_w" LIKE "${ns}"."w"`);
      await d.close();
      await opened(ns);
      const after = await q(
        `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${ns}' AND TABLE_NAME LIKE '%old%'`,
      );
      expect(after).toEqual([]);
    });

    it('a replace swap whose state committed but whose rename did not is rolled forward at the next open', async () => {
      const ns = fresh();
      const d = await opened(ns);
      await d.write(batch({ rows: [{ id: 1, name: 'old' }] }));
      await d.write(batch({ rows: [{ id: 2, name: 'new' }], mode: 'replace', passId: 'r1' }));
      await d.close();
      // What a crash right after the journal record and the final state committed leaves behind.
      await q(
        `INSERT INTO "${ns}"."_tributary_swaps" (stream, side_table, target_table) VALUES ('users', '_tributary_replace_users', 'users')`,
      );
      await q(`UPDATE "${ns}"."_tributary_state" SET state = '{"done":true}' WHERE stream = 'users'`);
      const again = await opened(ns);
      expect(await q(`SELECT id, name FROM "${ns}"."users"`)).toEqual([{ id: '2', name: 'new' }]);
      expect(await q(`SELECT * FROM "${ns}"."_tributary_swaps"`)).toEqual([]);
      expect(await again.readStates()).toEqual({ users: { done: true } });
    });
  });

  describe('reader', () => {
    it('lists namespaces, states, runs and row counts, creating nothing', async () => {
      const ns = fresh();
      const d = await opened(ns);
      await d.recordRun({
        runId: 'r1',
        connector: 'test',
        startedAt: new Date('2024-05-01T10:00:00Z'),
        status: 'running',
      });
      await d.write(batch({ rows: [{ id: 1 }, { id: 2 }], passId: 'p1' }));
      await d.write(batch({ rows: [{ id: 1 }], passId: 'p2' }));
      await d.sweepDeleted('users', 'p2', { swept: true });
      await d.recordRun({
        runId: 'r1',
        connector: 'test',
        startedAt: new Date('2024-05-01T10:00:00Z'),
        endedAt: new Date('2024-05-01T10:01:00Z'),
        status: 'succeeded',
        recordsWritten: 3,
        summary: { streams: { users: 3 } },
      });
      const reader = await MysqlReader.open(MYSQL_TEST_URL, undefined);
      try {
        expect(reader.description).toBe(MYSQL_TEST_URL.replace(/\/$/, ''));
        expect(await reader.namespaces()).toContain(ns);
        const states = await reader.readStateRows(ns);
        expect(states.map((s) => [s.stream, s.state])).toEqual([['users', { swept: true }]]);
        expect(states[0]!.updatedAt).toBeInstanceOf(Date);
        const runs = await reader.readRuns(ns, 5);
        expect(runs).toMatchObject([
          { runId: 'r1', status: 'succeeded', recordsWritten: 3, summary: { streams: { users: 3 } } },
        ]);
        expect(await reader.tableCounts(ns)).toEqual([{ table: 'users', rows: 2, deleted: 1 }]);
        const missing = fresh();
        expect(await reader.namespaces()).not.toContain(missing);
        await expectDestError(reader.readStateRows(missing), 'TRB_DEST_CONNECTION');
        expect(
          await q(`SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${missing}'`),
        ).toEqual([]);
      } finally {
        await reader.close();
      }
    });
  });
});
