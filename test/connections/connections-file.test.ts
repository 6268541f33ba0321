/** The connections file: every problem names the file, the connection and the field; secrets resolve on demand. */
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  connectionFingerprint,
  findConnection,
  loadConnectionsFile,
  resolveConnection,
  resolveRedisUrl,
} from '../../src/connections/connections-file.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir } from '../helpers/duckdb.js';

const dir = tempDir('tributary-connections-');
let n = 0;
function write(text: string, name = `tributary-${n++}.yaml`): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The ConfigError a load throws, with its list of problems. */
function loadError(path: string, env: NodeJS.ProcessEnv = {}): { error: ConfigError; problems: string[] } {
  try {
    loadConnectionsFile(path, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const error = err as ConfigError;
    expect(error.code).toBe('TRB_CONNECTIONS_INVALID');
    expect(error.exitCode).toBe(2);
    return { error, problems: error.details.errors as string[] };
  }
  throw new Error(`${path} loaded without an error`);
}

const GOOD = `
redis: redis://127.0.0.1:6379
defaults: { retry: { attempts: 4, backoff: 1m } }
connections:
  - name: baton-acme
    connector: hellobaton
    config: { api_key: "\${BATON_KEY_ACME}", company: acme }
    destination: postgres://postgres@127.0.0.1:5432/test
    namespace: baton_acme
    streams: [tasks, projects]
    schedule: { every: 15m }
    retry: { pauseAfter: 2 }
  - name: humaans
    connector: humaans
    config: { api_token: "\${HUMAANS_TOKEN}", base_url: "http://127.0.0.1:1" }
    schedule: { cron: "0 9 * * 1-5", tz: Europe/Paris }
    full_refresh: true
`;

describe('loadConnectionsFile', () => {
  it('loads connections with defaults, merged retry settings and secrets from the environment', () => {
    const path = write(GOOD);
    const file = loadConnectionsFile(path, { BATON_KEY_ACME: 'k-acme-123', HUMAANS_TOKEN: 'tok-h' });
    expect(file.redisUrl).toBe('redis://127.0.0.1:6379');
    const acme = findConnection(file, 'baton-acme');
    expect(acme).toMatchObject({
      connector: 'hellobaton',
      config: { api_key: 'k-acme-123', company: 'acme' },
      destination: 'postgres://postgres@127.0.0.1:5432/test',
      namespace: 'baton_acme',
      streams: ['tasks', 'projects'],
      schedule: { everyMs: 15 * 60_000 },
      retry: { attempts: 4, backoffMs: 60_000, pauseAfter: 2 },
      fullRefresh: false,
      secretsResolved: true,
    });
    const humaans = findConnection(file, 'humaans');
    expect(humaans).toMatchObject({
      destination: 'duckdb:./tributary.duckdb',
      namespace: 'humaans',
      schedule: { cron: '0 9 * * 1-5', tz: 'Europe/Paris' },
      retry: { attempts: 4, backoffMs: 60_000, pauseAfter: 5 },
      fullRefresh: true,
    });
  });

  it('loads without secrets for the scheduler: references stay, unset variables are no error', () => {
    const path = write(GOOD);
    const file = loadConnectionsFile(path, {}, { resolveSecrets: false });
    const acme = findConnection(file, 'baton-acme');
    expect(acme.config.api_key).toBe(`\${BATON_KEY_ACME}`);
    expect(acme.secretsResolved).toBe(false);
    // A worker resolves the same connection from its own environment.
    const resolved = resolveConnection(acme, { BATON_KEY_ACME: 'from-worker' }, path);
    expect(resolved.config.api_key).toBe('from-worker');
    expect(() => resolveConnection(acme, {}, path)).toThrow(
      /connection "baton-acme": config\.api_key: environment variable \$\{BATON_KEY_ACME\} is not set/,
    );
    // The fingerprint is of what is written, never of secret values.
    const again = findConnection(loadConnectionsFile(path, {}, { resolveSecrets: false }), 'baton-acme');
    expect(connectionFingerprint(again)).toBe(connectionFingerprint(acme));
    expect(connectionFingerprint(acme)).not.toBe(connectionFingerprint(findConnection(file, 'humaans')));
    expect(() => connectionFingerprint(resolved)).toThrow(/resolveSecrets: false/);
  });

  it(`an unset \${ENV} names the file, the connection, the field and the variable, never a value`, () => {
    const path = write(GOOD);
    const { error, problems } = loadError(path, { HUMAANS_TOKEN: 'secret-humaans-token' });
    expect(problems).toEqual([
      `${path}: connection "baton-acme": config.api_key: environment variable \${BATON_KEY_ACME} is not set`,
    ]);
    expect(error.message).not.toContain('secret-humaans-token');
  });

  it('reports every bad field at once, each naming its connection and field', () => {
    const path = write(`
connections:
  - name: a
    connector: hellobaton
    config: { api_key: x, company: y }
    schedule: { every: 15 minutes }
  - name: b
    connector: hellobaton
    config: { api_key: x, company: y }
    schedule: { cron: "0 25 * * *" }
  - name: c
    connector: hellobaton
    config: { api_key: x, company: y }
    schedule: { cron: "0 * * * *", tz: Mars/Olympus_Mons }
  - name: d
    connector: hellobaton
    retry: { attempts: 0, backoff: soon }
    streams: []
  - name: e
    connector: hellobaton
    colour: blue
  - name: Bad Name
    connector: hellobaton
  - connector: hellobaton
  - name: f
    connector: hellobaton
    schedule: { every: 1h, cron: "0 * * * *" }
`);
    const { problems } = loadError(path);
    const expected: Array<[string, RegExp]> = [
      ['connection "a": schedule.every:', /"15 minutes" is not a duration.*30s, 15m, 2h or 1d/],
      ['connection "b": schedule.cron:', /"0 25 \* \* \*" is not a valid cron expression/],
      ['connection "c": schedule.tz:', /unknown time zone "Mars\/Olympus_Mons"/],
      ['connection "d": retry.attempts:', /1/],
      ['connection "d": retry.backoff:', /"soon" is not a duration/],
      ['connection "d": streams:', /./],
      ['connection "e":', /unknown key "colour"/],
      ['connection "Bad Name": name:', /lower-case letters/],
      ['connection #7: name:', /./],
      ['connection "f": schedule:', /exactly one of every .* or cron/],
    ];
    for (const [where, what] of expected) {
      const hit = problems.find((p) => p.startsWith(`${path}: ${where}`));
      expect(hit, `${where} in\n${problems.join('\n')}`).toBeDefined();
      expect(hit!.slice(`${path}: ${where}`.length)).toMatch(what);
    }
    expect(problems).toHaveLength(expected.length);
  });

  it('duplicate names, unknown connectors and a shared namespace are errors', () => {
    const path = write(`
connections:
  - { name: a, connector: hellobaton, config: { api_key: x, company: y } }
  - { name: a, connector: humaans }
  - { name: b, connector: salesforce }
  - { name: c, connector: hellobaton, namespace: a }
`);
    const { problems } = loadError(path);
    expect(problems).toEqual([
      `${path}: connection "a": name: "a" is already the name of connection #1; names must be unique`,
      `${path}: connection "b": connector: unknown connector "salesforce" (available: hellobaton, humaans)`,
      `${path}: connection "c": namespace: "a" in the same destination is already connection "a"'s; give each connection its own namespace`,
    ]);
  });

  it("a connector folder is named relative to the file's own folder; a missing one names its path", () => {
    const sub = join(dir, `project-${n++}`);
    mkdirSync(join(sub, 'orders_api'), { recursive: true });
    writeFileSync(join(sub, 'orders_api', 'manifest.yaml'), 'version: 1\n');
    const path = join(sub, 'tributary.yaml');
    writeFileSync(
      path,
      'connections:\n  - { name: orders, connector: ./orders_api }\n  - { name: gone, connector: ./nowhere }\n',
    );
    const { problems } = loadError(path);
    expect(problems).toEqual([
      `${path}: connection "gone": connector: connector folder ${join(sub, 'nowhere')} does not exist`,
    ]);
    writeFileSync(path, 'connections:\n  - { name: orders, connector: ./orders_api }\n');
    const file = loadConnectionsFile(path, {}, { resolveSecrets: false });
    expect(file.connections[0]!.connector).toBe(realpathSync(join(sub, 'orders_api')));
  });

  it('a bad cron field count, a missing file, bad YAML and bad top-level keys are clear', () => {
    const { problems } = loadError(
      write('connections:\n  - { name: a, connector: humaans, schedule: { cron: "0 * * *" } }\n'),
    );
    expect(problems[0]).toMatch(
      /connection "a": schedule\.cron: "0 \* \* \*" has 4 fields; a cron expression has five/,
    );
    expect(() => loadConnectionsFile(join(dir, 'missing.yaml'), {})).toThrow(
      expect.objectContaining({
        code: 'TRB_CONFIG_MISSING',
        message: expect.stringMatching(/missing\.yaml cannot be read \(no such file\)/),
      }),
    );
    const bad = write('connections: [\n');
    expect(loadError(bad).problems[0]).toMatch(/not valid JSON or YAML \(line \d+/);
    const unquoted = write(
      `connections:\n  - { name: a, connector: humaans, config: { api_token: \${T} } }\n`,
    );
    expect(loadError(unquoted).problems[0]).toMatch(/inside \{ \}, quote \$\{ENV\} references/);
    const top = write('connection: []\n');
    expect(loadError(top).problems).toEqual([
      `${top}: connections: Invalid input: expected array, received undefined`,
      `${top}: unknown key "connection"`,
    ]);
  });

  it('reads config_file relative to the connections file, and refuses it with config', () => {
    writeFileSync(join(dir, 'acme.yaml'), `api_key: \${KEY}\ncompany: acme\n`);
    const path = write(
      'connections:\n  - { name: a, connector: hellobaton, config_file: acme.yaml }\n  - { name: b, connector: hellobaton, config_file: acme.yaml, config: {}, namespace: b }\n',
    );
    expect(loadError(path, { KEY: 'k' }).problems).toEqual([
      `${path}: connection "b": config_file: give config or config_file, not both`,
    ]);
    const ok = write('connections:\n  - { name: a, connector: hellobaton, config_file: acme.yaml }\n');
    expect(findConnection(loadConnectionsFile(ok, { KEY: 'k-1' }), 'a').config).toEqual({
      api_key: 'k-1',
      company: 'acme',
    });
    expect(loadError(ok, {}).problems).toEqual([
      `${ok}: connection "a": config_file ${join(dir, 'acme.yaml')}.api_key: environment variable \${KEY} is not set`,
    ]);
  });

  it('redis: resolves from the environment when it can; only the commands that need Redis require it', () => {
    const path = write(`redis: redis://:\${REDIS_PASSWORD}@127.0.0.1:6379\nconnections: []\n`);
    const without = loadConnectionsFile(path, {});
    expect(without.redisUrl).toBeUndefined();
    expect(() => resolveRedisUrl(without, {})).toThrow(
      expect.objectContaining({
        code: 'TRB_CONNECTIONS_INVALID',
        message: `${path}: redis: environment variable \${REDIS_PASSWORD} is not set`,
      }),
    );
    const withPassword = loadConnectionsFile(path, { REDIS_PASSWORD: 'pw' });
    expect(withPassword.redisUrl).toBe('redis://:pw@127.0.0.1:6379');
    expect(resolveRedisUrl(withPassword, { REDIS_PASSWORD: 'pw' })).toBe('redis://:pw@127.0.0.1:6379');
    expect(resolveRedisUrl(loadConnectionsFile(write('connections: []\n'), {}))).toBeUndefined();
  });

  it('an unknown connection name lists the known ones', () => {
    const file = loadConnectionsFile(write(GOOD), {}, { resolveSecrets: false });
    expect(() => findConnection(file, 'baton-beta')).toThrow(
      expect.objectContaining({
        code: 'TRB_CONNECTIONS_INVALID',
        message: expect.stringMatching(
          /no connection named "baton-beta" \(connections: baton-acme, humaans\)/,
        ),
      }),
    );
  });
});
