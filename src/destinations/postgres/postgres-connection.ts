/**
 * Turns the destination URL (plus an optional separate password) into `pg` connection settings, a
 * password-free description, and the redactor that keeps the password out of every message.
 */
import type { ClientConfig } from 'pg';
import { parseServerUrl, safeDecode } from '../sql/server-url.js';
import { Redactor, type Target } from './postgres-errors.js';

export interface ConnectionSettings {
  /** Settings shared by the lock session and the write pool (pass to `new pg.Client` / `new pg.Pool`). */
  client: ClientConfig;
  target: Target;
  redactor: Redactor;
}

export interface ConnectionOptions {
  schema: string;
  password?: string;
  applicationName: string;
  connectTimeoutMs: number;
}

/**
 * Parse `postgres://user[:password]@host[:port]/database[?params]`. The password, wherever it comes
 * from, is only handed to `pg`; the description and every error use the redacted form.
 */
export function connectionSettings(url: string, opts: ConnectionOptions): ConnectionSettings {
  const { url: parsed, redactor } = parseServerUrl(url, {
    product: 'PostgreSQL',
    schemes: ['postgres:', 'postgresql:'],
    expected: 'postgres://user@host:5432/database',
    secrets: [opts.password, process.env.PGPASSWORD],
    redactor: (secrets) => new Redactor(secrets),
  });

  // The separate password wins over one in the URL. It travels inside the connection string because
  // pg lets connection-string fields override explicit ones (an empty URL password would win).
  const withPassword = new URL(parsed.href);
  if (opts.password !== undefined) withPassword.password = encodeURIComponent(opts.password);
  withPassword.searchParams.delete('schema');

  const host = parsed.searchParams.get('host') ?? (safeDecode(parsed.hostname) || 'localhost');
  const port = Number(parsed.port || parsed.searchParams.get('port') || 5432);
  const database =
    safeDecode(parsed.pathname.replace(/^\//, '')) || safeDecode(parsed.username) || 'postgres';
  const user = safeDecode(parsed.username) || process.env.PGUSER || 'postgres';
  const hostPart = host.startsWith('/') ? `[${host}]` : host.includes(':') ? `[${host}]` : host;
  const description = `postgres://${encodeURIComponent(user)}@${hostPart}:${port}/${encodeURIComponent(database)}?schema=${encodeURIComponent(opts.schema)}`;

  const client: ClientConfig = {
    connectionString: withPassword.href,
    application_name: opts.applicationName,
    connectionTimeoutMillis: opts.connectTimeoutMs,
    keepAlive: true,
    // Values without a zone are UTC by contract; make the server read (and print) them that way. The
    // widening SQL relies on standard string literals, whatever the server's default.
    options: '-c TimeZone=UTC -c DateStyle=ISO -c standard_conforming_strings=on',
  };
  return {
    client,
    redactor,
    target: { description: redactor.redact(description), host, port, database, user, schema: opts.schema },
  };
}
