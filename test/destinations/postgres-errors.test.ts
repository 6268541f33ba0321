/**
 * Bad input for the PostgreSQL destination: every failure is a DestinationError with a clear message,
 * exit code 2 for what the user configured, and never the password.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { inspect } from 'node:util';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PostgresDestination } from '../../src/destinations/postgres/postgres-destination.js';
import { Redactor } from '../../src/destinations/postgres/postgres-errors.js';
import {
  advisoryLockKey,
  clipUtf8,
  pgIdentifier,
  quoteIdent,
  quoteLiteral,
} from '../../src/destinations/postgres/postgres-sql.js';
import { parseTimestamp } from '../../src/destinations/postgres/postgres-types.js';
import { DestinationError } from '../../src/errors.js';
import { pgReachable } from '../helpers/postgres.js';

const PG_URL = process.env.TRIBUTARY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CI = process.env.CI === 'true';

const reachable = () => pgReachable(PG_URL);

const available = await reachable();
if (!available && !CI) {
  console.warn(
    `[postgres tests] SKIPPED: PostgreSQL is not reachable at ${PG_URL.replace(/:[^:@/]*@/, ':***@')}. ` +
      'Set TRIBUTARY_TEST_POSTGRES_URL to run them (they fail instead of skipping when CI=true).',
  );
}
const describePg = available || CI ? describe : describe.skip;

const SECRET = 'Sup3r-Secret_pw!';

function urlWith(changes: {
  user?: string;
  password?: string;
  host?: string;
  port?: string;
  db?: string;
}): string {
  const url = new URL(PG_URL);
  if (changes.user !== undefined) url.username = changes.user;
  if (changes.password !== undefined) url.password = encodeURIComponent(changes.password);
  if (changes.host !== undefined) url.hostname = changes.host;
  if (changes.port !== undefined) url.port = changes.port;
  if (changes.db !== undefined) url.pathname = `/${changes.db}`;
  return url.href;
}

/** Open and expect a DestinationError; check that no form of the secret leaks anywhere in it. */
async function openFails(d: PostgresDestination, code: string, secret = SECRET): Promise<DestinationError> {
  let caught: unknown;
  try {
    await d.open();
  } catch (err) {
    caught = err;
  } finally {
    await d.close();
  }
  expect(caught).toBeInstanceOf(DestinationError);
  const err = caught as DestinationError;
  expect(err.code).toBe(code);
  for (const text of [
    err.message,
    JSON.stringify(err),
    inspect(err, { depth: 10 }),
    String(err.stack),
    d.description,
  ]) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(encodeURIComponent(secret));
  }
  return err;
}

function ident(name: string): string {
  return quoteIdent(name);
}

describe('PostgreSQL destination helpers', () => {
  it('truncates identifiers to 63 bytes on a UTF-8 boundary, deterministically', () => {
    const samples = [
      'a'.repeat(63),
      'a'.repeat(64),
      'é'.repeat(40),
      `x${'🚀'.repeat(20)}`,
      '日本語'.repeat(10),
    ];
    for (const s of samples) {
      const id = pgIdentifier(s, 'column');
      expect(Buffer.byteLength(id.name)).toBeLessThanOrEqual(63);
      expect(Buffer.from(id.name, 'utf8').toString('utf8')).toBe(id.name);
      expect(id.name).not.toContain('\ufffd');
      expect(pgIdentifier(s, 'column')).toEqual(id);
      expect(id.mapped).toBe(Buffer.byteLength(s) > 63);
      if (id.mapped) expect(s.startsWith(id.name.slice(0, -9))).toBe(true);
    }
    expect(clipUtf8('aé', 2)).toBe('a');
    expect(clipUtf8('a🚀', 4)).toBe('a');
    expect(pgIdentifier('ctid', 'column').mapped).toBe(true);
    expect(pgIdentifier('ctid', 'table').mapped).toBe(false);
    expect(() => pgIdentifier('', 'column')).toThrow(DestinationError);
    expect(() => pgIdentifier('a\0b', 'column')).toThrow(/NUL/);
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(quoteLiteral("a\\b'c")).toBe("E'a\\\\b''c'");
  });

  it('derives a stable signed 64-bit lock key per schema', () => {
    const a = advisoryLockKey('humaans');
    expect(advisoryLockKey('humaans')).toEqual(a);
    expect(advisoryLockKey('hellobaton').key).not.toBe(a.key);
    const key = BigInt(a.key);
    expect(key >= -(2n ** 63n) && key < 2n ** 63n).toBe(true);
    expect(BigInt.asUintN(64, key)).toBe((BigInt(a.classid) << 32n) | BigInt(a.objid));
  });

  it('redacts secrets, URL-encoded secrets and URL credentials', () => {
    const r = new Redactor(['p@ss word', undefined, '']);
    expect(r.redact('x p@ss word y p%40ss%20word z')).toBe('x *** y *** z');
    expect(r.redact('postgres://u:other@h/db')).toBe('postgres://u:***@h/db');
  });

  it('parses ISO-8601 timestamps to PostgreSQL microseconds, rejecting impossible ones', () => {
    expect(parseTimestamp('2000-01-01T00:00:00Z')).toEqual({ seconds: 0, micros: 0 });
    expect(parseTimestamp('2000-01-01T01:00:00+01:00')).toEqual({ seconds: 0, micros: 0 });
    expect(parseTimestamp('1999-12-31T23:59:59.5Z')).toEqual({ seconds: -1, micros: 500000 });
    expect(parseTimestamp('2000-01-01')).toEqual({ seconds: 0, micros: 0 });
    expect(parseTimestamp('2000-01-01T00:00:00.000000500Z')).toEqual({ seconds: 0, micros: 0 });
    expect(parseTimestamp('2000-01-01T00:00:00.0000015Z')).toEqual({ seconds: 0, micros: 2 });
    expect(parseTimestamp('2000-01-01T00:00:00.12Z')).toEqual({ seconds: 0, micros: 120000 });
    expect(parseTimestamp('2000-01-01T05:30+0530')).toEqual({ seconds: 0, micros: 0 });
    const bad = [
      '2023-02-29',
      '2024-13-01',
      '2024-01-01T24:00:00Z',
      '2024-01-01T00:00:60Z',
      'now',
      '0000-01-01',
      '2024-01-01Z',
      '2024-01-01T10',
      '2024-01-01T10:00:00.Z',
      '2024-01-01T10:00:00.1234567890Z',
      '2024-01-01T10:00:00+16:00',
      '2024-01-01T10:00:00+05:',
      '2024-01-01T10:00:00 Z',
      '+2024-01-01',
      '2024-1-01',
    ];
    for (const text of bad) {
      expect(parseTimestamp(text), text).toBeUndefined();
    }
  });
});

describePg('PostgreSQL destination: bad input', () => {
  let admin: pg.Client;
  const roles: string[] = [];
  const schemas: string[] = [];

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
  });

  afterEach(async () => {
    for (const s of schemas.splice(0)) await admin.query(`DROP SCHEMA IF EXISTS ${ident(s)} CASCADE`);
    for (const r of roles.splice(0)) {
      await admin.query(`DROP OWNED BY ${ident(r)} CASCADE`);
      await admin.query(`DROP ROLE IF EXISTS ${ident(r)}`);
    }
  });

  afterAll(async () => {
    await admin?.end();
  });

  function freshSchema(): string {
    const s = `trb_pgerr_${randomBytes(5).toString('hex')}`;
    schemas.push(s);
    return s;
  }

  async function freshRole(): Promise<string> {
    const r = `trb_role_${randomBytes(5).toString('hex')}`;
    await admin.query(`CREATE ROLE ${ident(r)} LOGIN`);
    roles.push(r);
    return r;
  }

  function dest(url: string, extra: { password?: string; schema?: string } = {}): PostgresDestination {
    return new PostgresDestination(url, {
      namespace: extra.schema ?? freshSchema(),
      connector: 'test',
      password: extra.password,
      connectTimeoutMs: 3000,
      lockTimeoutMs: 1000,
    });
  }

  it('an invalid URL', async () => {
    const err = await openFails(dest(`mysql://root:${SECRET}@localhost/db`), 'TRB_DEST_OPEN');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('expected postgres://');
    const garbage = await openFails(dest(`not a url ${SECRET}`), 'TRB_DEST_OPEN');
    expect(garbage.exitCode).toBe(2);
  });

  it('an unknown user, with the password in the URL', async () => {
    const err = await openFails(
      dest(urlWith({ user: 'no_such_user_trb', password: SECRET })),
      'TRB_DEST_OPEN',
    );
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('rejected the login of user "no_such_user_trb"');
    expect(err.details.errorCode).toBe('28000');
  });

  describe('a wrong password', () => {
    let server: Server;
    let port: number;
    const received: string[] = [];

    // Our test server trusts every login, so a tiny PostgreSQL-protocol server plays one that checks
    // passwords: it asks for a cleartext password and rejects it with SQLSTATE 28P01.
    beforeAll(async () => {
      server = createServer((socket: Socket) => {
        let buf = Buffer.alloc(0);
        let started = false;
        socket.on('data', (chunk) => {
          buf = Buffer.concat([buf, chunk]);
          if (!started && buf.length >= 4 && buf.length >= buf.readInt32BE(0)) {
            started = true;
            buf = buf.subarray(buf.readInt32BE(0));
            socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3])); // AuthenticationCleartextPassword
          }
          if (started && buf.length >= 5 && buf[0] === 0x70 && buf.length >= 1 + buf.readInt32BE(1)) {
            received.push(buf.subarray(5, buf.readInt32BE(1)).toString('utf8'));
            const fields = Buffer.from(
              'SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "alice"\0\0',
              'utf8',
            );
            const head = Buffer.alloc(5);
            head[0] = 0x45; // ErrorResponse
            head.writeInt32BE(4 + fields.length, 1);
            socket.end(Buffer.concat([head, fields]));
          }
        });
        socket.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });

    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it('in the URL', async () => {
      const d = dest(`postgres://alice:${encodeURIComponent(SECRET)}@127.0.0.1:${port}/prod`);
      const err = await openFails(d, 'TRB_DEST_OPEN');
      expect(err.exitCode).toBe(2);
      expect(err.message).toContain(`PostgreSQL at 127.0.0.1:${port} rejected the login of user "alice"`);
      expect(err.message).toContain('password authentication failed');
      expect(err.details.errorCode).toBe('28P01');
      expect(received.at(-1)).toBe(SECRET);
    });

    it('given separately, which wins over the URL', async () => {
      const d = dest(`postgres://alice:url-password-xyz@127.0.0.1:${port}/prod`, { password: SECRET });
      const err = await openFails(d, 'TRB_DEST_OPEN');
      expect(err.exitCode).toBe(2);
      expect(received.at(-1)).toBe(SECRET);
      expect(err.message).not.toContain('url-password-xyz');
    });
  });

  it('an unknown host', async () => {
    const err = await openFails(
      dest(urlWith({ host: 'no-such-host.invalid', password: SECRET })),
      'TRB_DEST_OPEN',
    );
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/PostgreSQL host "no-such-host\.invalid"/);
  });

  it('nothing listening on the port', async () => {
    const err = await openFails(dest(urlWith({ port: '1', password: SECRET })), 'TRB_DEST_UNREACHABLE');
    expect(err.exitCode).toBe(1);
    expect(err.message).toContain('is PostgreSQL running there?');
  });

  it('a missing database', async () => {
    const err = await openFails(dest(urlWith({ db: 'no_such_db_trb', password: SECRET })), 'TRB_DEST_OPEN');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('database "no_such_db_trb" does not exist');
  });

  it('a user without CREATE rights on the database: clear error, nothing created', async () => {
    const role = await freshRole();
    const schema = freshSchema();
    const err = await openFails(dest(urlWith({ user: role, password: SECRET }), { schema }), 'TRB_DEST_OPEN');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(`user "${role}" may not create`);
    expect(err.message).toContain('permission denied');
    expect(err.message).toContain('CREATE on the database');
    const exists = await admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    expect(exists.rowCount).toBe(0);
  });

  it('a user with only USAGE on an existing schema: clear error', async () => {
    const role = await freshRole();
    const schema = freshSchema();
    await admin.query(`CREATE SCHEMA ${ident(schema)}`);
    await admin.query(`GRANT USAGE ON SCHEMA ${ident(schema)} TO ${ident(role)}`);
    const err = await openFails(dest(urlWith({ user: role }), { schema }), 'TRB_DEST_OPEN', '\0never');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('permission denied for schema');
  });

  it('the documented grants on an existing schema are enough for a whole sync', async () => {
    const role = await freshRole();
    const schema = freshSchema();
    await admin.query(`CREATE SCHEMA ${ident(schema)}`);
    await admin.query(`GRANT USAGE, CREATE ON SCHEMA ${ident(schema)} TO ${ident(role)}`);
    const d = dest(urlWith({ user: role }), { schema });
    const table = { stream: 's', primaryKey: ['id'], columns: [{ name: 'id', type: 'bigint' as const }] };
    const base = { runId: 'r', stream: 's', table, syncedAt: new Date() };
    try {
      await d.open();
      await d.write({ ...base, rows: [{ id: 1 }], state: { n: 1 }, mode: 'upsert', passId: 'p1' });
      expect(await d.sweepDeleted('s', 'p1', { n: 2 })).toBe(0);
      await d.write({ ...base, rows: [{ id: 2 }], state: { n: 3 }, mode: 'replace', passId: 'p2' });
      await d.finishReplace('s', table, { n: 4 });
      await d.recordRun({ runId: 'r', connector: 'test', startedAt: new Date(), status: 'succeeded' });
      expect(await d.readStates()).toEqual({ s: { n: 4 } });
      const rows = await admin.query(`SELECT id::int AS id FROM ${ident(schema)}.s`);
      expect(rows.rows).toEqual([{ id: 2 }]);
    } finally {
      await d.close();
    }
  });
});
