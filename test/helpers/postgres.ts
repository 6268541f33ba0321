/**
 * The PostgreSQL every database test uses (`TRIBUTARY_TEST_POSTGRES_URL`, default the local test database),
 * and the one check of whether it answers: every test file that needs PostgreSQL asks `postgresTestsRun`.
 */
import pg from 'pg';

export const PG_TEST_URL =
  process.env.TRIBUTARY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The URL without its password, for notices. */
export function redactedUrl(url: string): string {
  return url.replace(/:[^:@/]*@/, ':***@');
}

/** Whether PostgreSQL answers at `url`. */
export async function pgReachable(url = PG_TEST_URL): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const checks = new Map<string, Promise<boolean>>();

/**
 * Whether `suite`'s PostgreSQL tests run. Reachable: yes. Unreachable: under CI=true still yes (so the tests
 * run and fail: a missing service is a failure in CI), otherwise no, with a visible skip notice naming the
 * suite. The server is asked once per URL per test file.
 */
export async function postgresTestsRun(suite: string, url = PG_TEST_URL): Promise<boolean> {
  let check = checks.get(url);
  if (check === undefined) {
    check = pgReachable(url);
    checks.set(url, check);
  }
  if (await check) return true;
  if (process.env.CI === 'true') return true;
  console.warn(
    `[${suite}] PostgreSQL tests SKIPPED: PostgreSQL is not reachable at ${redactedUrl(url)}. ` +
      'Set TRIBUTARY_TEST_POSTGRES_URL to run them (they fail instead of skipping when CI=true).',
  );
  return false;
}
