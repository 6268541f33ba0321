/**
 * The MySQL/MariaDB every database test uses: `TRIBUTARY_TEST_MYSQL_URL`, default the local test database;
 * whether it answers; and an admin pool whose sessions read the conformance suite's portable SQL
 * (double-quoted identifiers, standard string literals) and return BOOLEAN columns as booleans.
 */
import mysql from 'mysql2/promise';

export const MYSQL_TEST_URL = process.env.TRIBUTARY_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

function connectionOptions(url: string): mysql.ConnectionOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username) || 'root',
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.slice(1)) || 'test',
    connectTimeout: 3000,
    charset: 'utf8mb4',
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
  };
}

/** Whether MySQL answers at `url`. */
export async function mysqlReachable(url = MYSQL_TEST_URL): Promise<boolean> {
  try {
    const conn = await mysql.createConnection(connectionOptions(url));
    await conn.end();
    return true;
  } catch {
    return false;
  }
}

const checks = new Map<string, Promise<boolean>>();

/**
 * Whether `suite`'s MySQL tests run. Reachable: yes. Unreachable: under CI=true still yes (so the tests run
 * and fail: a missing service is a failure in CI), otherwise no, with a visible skip notice naming the suite.
 */
export async function mysqlTestsRun(suite: string, url = MYSQL_TEST_URL): Promise<boolean> {
  let check = checks.get(url);
  if (check === undefined) {
    check = mysqlReachable(url);
    checks.set(url, check);
  }
  if (await check) return true;
  if (process.env.CI === 'true') return true;
  console.warn(
    `[${suite}] MySQL tests SKIPPED: MySQL is not reachable at ${url.replace(/:[^:@/]*@/, ':***@')}. ` +
      'Set TRIBUTARY_TEST_MYSQL_URL to run them (they fail instead of skipping when CI=true).',
  );
  return false;
}

/** A small pool for tests: portable SQL in, booleans out. */
export function mysqlAdmin(url = MYSQL_TEST_URL): mysql.Pool {
  const pool = mysql.createPool({
    ...connectionOptions(url),
    connectionLimit: 2,
    typeCast: (field, next) => {
      if (field.type === 'TINY' && field.length === 1) {
        const v = field.string();
        return v === null ? null : v === '1';
      }
      return next();
    },
  });
  pool.on('connection', (conn) => {
    conn.on('error', () => undefined);
    conn.query(
      "SET SESSION sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES,STRICT_ALL_TABLES,PIPES_AS_CONCAT', time_zone = '+00:00'",
    );
  });
  return pool;
}
