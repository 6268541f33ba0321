/** `tributary sql`: a read-only query on a DuckDB destination, printed as a table; writes are refused. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlCommand } from '../../src/cli/sql-command.js';
import { ConfigError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'trb-sql-'));
const file = join(dir, 'x.duckdb');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  const db = await DuckDBInstance.create(file);
  const conn = await db.connect();
  await conn.run(
    "CREATE SCHEMA s; CREATE TABLE s.t (id BIGINT, name VARCHAR, ts TIMESTAMP); INSERT INTO s.t VALUES (1, 'one', '2026-01-01 00:00:00'), (2, NULL, '2026-01-02 00:00:00')",
  );
  conn.closeSync();
  db.closeSync();
});

describe('tributary sql', () => {
  it('prints the rows as a table with a count', async () => {
    const out = await sqlCommand(`duckdb:${file}`, 'select id, name from s.t order by id', { maxRows: 100 });
    expect(out.split('\n')).toEqual(['id  name', '--  ----', '1   one', '2', '(2 rows)', '']);
  });

  it('caps the rows printed and says so; --json prints one object a line', async () => {
    const out = await sqlCommand(file, 'select id from s.t order by id', { maxRows: 1 });
    expect(out).toContain('(2 rows (first 1 shown; --max-rows for more))');
    const json = await sqlCommand(file, 'select id, name from s.t order by id', { maxRows: 5, json: true });
    expect(
      json
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { id: '1', name: 'one' },
      { id: '2', name: '' },
    ]);
  });

  it('refuses a write (the file is opened read-only) and a non-DuckDB destination, as usage errors', async () => {
    const write = await sqlCommand(file, 'delete from s.t', { maxRows: 5 }).catch((e: unknown) => e);
    expect(write).toBeInstanceOf(ConfigError);
    expect((write as ConfigError).code).toBe('TRB_USAGE');
    const after = await sqlCommand(file, 'select count(*) as n from s.t', { maxRows: 5 });
    expect(after).toContain('2');
    // A file named like its schema: DuckDB's catalog and the schema collide; the error says what to write.
    const same = join(dir, 's.duckdb');
    const db = await DuckDBInstance.create(same);
    const conn = await db.connect();
    await conn.run('CREATE SCHEMA s; CREATE TABLE s.s.t (id BIGINT); INSERT INTO s.s.t VALUES (1)');
    conn.closeSync();
    db.closeSync();
    const ambiguous = await sqlCommand(same, 'select * from s.t', { maxRows: 5 }).catch((e: unknown) => e);
    expect((ambiguous as ConfigError).message).toContain('write catalog.schema.table');
    expect(await sqlCommand(same, 'select count(*) as n from s.s.t', { maxRows: 5 })).toContain('(1 row)');
    const pg = await sqlCommand('postgres://u@127.0.0.1/db', 'select 1', { maxRows: 5 }).catch(
      (e: unknown) => e,
    );
    expect((pg as ConfigError).code).toBe('TRB_USAGE');
  });
});
