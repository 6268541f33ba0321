/**
 * Turns `mysql://user[:password]@host[:port]/database` (or `mariadb://…`) plus an optional separate password
 * into mysql2 pool settings, a password-free description, and the redactor that keeps the password out of
 * every message. The URL's database is the login database; tributary's tables live in the namespace, which
 * is a database of its own (MySQL's schemas are databases).
 */
import type { PoolOptions } from 'mysql2/promise';
import { DestinationError } from '../../errors.js';
import { Redactor } from '../../util/redact.js';
import type { Target } from '../sql/driver-errors.js';
import { parseServerUrl, safeDecode } from '../sql/server-url.js';

export interface ConnectionSettings {
  pool: PoolOptions;
  target: Target;
  redactor: Redactor;
}

/**
 * The session every connection starts with: strict mode (a value that does not fit is an error, never
 * silently cut), no zero dates, and UTC, so DATETIME values mean UTC on the way in and out.
 */
export const SESSION_SETUP =
  "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', " +
  "time_zone = '+00:00'";

export function connectionSettings(
  url: string,
  opts: { schema: string; password?: string; connectTimeoutMs?: number },
): ConnectionSettings {
  const {
    url: parsed,
    urlPassword,
    queryPassword,
    redactor,
  } = parseServerUrl(url, {
    product: 'MySQL',
    schemes: ['mysql:', 'mariadb:'],
    expected: 'mysql://user@host:3306/database (or mariadb://…)',
    secrets: [opts.password],
    redactor(secrets) {
      const r = new Redactor();
      for (const secret of secrets) r.add(secret);
      return r;
    },
  });
  const host = safeDecode(parsed.hostname).replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  const port = Number(parsed.port || 3306);
  const user = safeDecode(parsed.username) || 'root';
  const database = safeDecode(parsed.pathname.replace(/^\//, ''));
  if (database === '') {
    throw new DestinationError(
      'TRB_DEST_OPEN',
      'the MySQL destination URL names no database: expected mysql://user@host:3306/database',
    );
  }
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const description = redactor.redact(
    `${parsed.protocol}//${encodeURIComponent(user)}@${hostPart}:${port}/${encodeURIComponent(database)}?schema=${encodeURIComponent(opts.schema)}`,
  );
  const pool: PoolOptions = {
    host,
    port,
    user,
    password: opts.password ?? urlPassword ?? queryPassword,
    database,
    charset: 'utf8mb4',
    // DATETIME values are UTC (SESSION_SETUP); exact int64 and DECIMAL as text, never rounded doubles.
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    connectTimeout: opts.connectTimeoutMs ?? 10_000,
    enableKeepAlive: true,
  };
  return { pool, redactor, target: { description, host, port, database, user, schema: opts.schema } };
}
