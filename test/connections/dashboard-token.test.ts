/** The dashboard token of a connections file: env TRIBUTARY_DASHBOARD_TOKEN first, else `dashboard.token` resolved. */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dashboardToken, loadConnectionsFile } from '../../src/connections/connections-file.js';
import { tempDir } from '../helpers/duckdb.js';

const dir = tempDir('tributary-dash-token-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(body: Record<string, unknown>, name: string) {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ connections: [], ...body }));
  return loadConnectionsFile(path, {}, { resolveSecrets: false });
}

describe('dashboardToken', () => {
  it('is undefined without dashboard.token or the env variable', () => {
    expect(dashboardToken(file({}, 'none.yaml'), {})).toBeUndefined();
  });

  it('resolves an env reference from the environment; the env variable wins over the file', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a connections-file ${ENV} reference
    const f = file({ dashboard: { token: '${MY_DASH}' } }, 'ref.yaml');
    expect(dashboardToken(f, { MY_DASH: 'from-my-dash' })).toBe('from-my-dash');
    expect(dashboardToken(f, { MY_DASH: 'x', TRIBUTARY_DASHBOARD_TOKEN: 'from-env' })).toBe('from-env');
  });

  it('an unset reference is a ConfigError naming the variable, never a value', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a connections-file ${ENV} reference
    const f = file({ dashboard: { token: '${NOT_SET_DASH}' } }, 'unset.yaml');
    expect(() => dashboardToken(f, {})).toThrow(
      /dashboard\.token: environment variable \$\{NOT_SET_DASH\} is not set/,
    );
  });

  it('an unknown key under dashboard is refused', () => {
    expect(() => file({ dashboard: { password: 'x' } }, 'bad.yaml')).toThrow(
      /dashboard: unknown key "password"/,
    );
  });
});
