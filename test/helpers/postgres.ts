/** The PostgreSQL every database test uses: `TRIBUTARY_TEST_POSTGRES_URL`, default the local test database. */
import pg from 'pg';

export const PG_TEST_URL =
  process.env.TRIBUTARY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Whether PostgreSQL answers at `url`. Callers skip with a notice, or fail under CI=true. */
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
