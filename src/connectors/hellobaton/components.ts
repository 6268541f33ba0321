/**
 * Hellobaton code components (the manifest's escape hatch): the `company` field becomes part of a host
 * name, so it is validated as a single DNS label and can never inject a host, a path or a port.
 */
import { ConfigError } from '../../errors.js';
import type { ResolvedConfig } from '../../declarative/config-spec.js';
import { registerComponent } from '../../declarative/registry.js';

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** `acme`, `ACME`, `https://acme.hellobaton.com`, `acme.hellobaton.com/` → `acme`; anything else is refused. */
export function normalizeCompany(input: unknown): string {
  const raw = typeof input === 'string' ? input.trim() : '';
  let label = raw.toLowerCase();
  const pasted = /^https?:\/\//.test(label)
    ? label
    : /\.hellobaton\.com(\/|$)/.test(label)
      ? `https://${label}`
      : undefined;
  if (pasted) {
    let host = '';
    try {
      const u = new URL(pasted);
      if (
        u.username ||
        u.password ||
        u.port ||
        (u.pathname !== '/' && u.pathname !== '/api/' && u.pathname !== '/api') ||
        u.search
      )
        host = '';
      else host = u.hostname;
    } catch {
      host = '';
    }
    label = host.endsWith('.hellobaton.com') ? host.slice(0, -'.hellobaton.com'.length) : '';
  }
  if (!LABEL.test(label)) {
    throw new ConfigError(
      `invalid hellobaton config: "company" must be your Baton subdomain, a single DNS label of letters, digits and hyphens (e.g. acme for https://acme.hellobaton.com); got ${JSON.stringify(raw)}`,
      { details: { field: 'company' } },
    );
  }
  return label;
}

registerComponent(
  'config_normalizer',
  'hellobaton.config',
  () =>
    (config: ResolvedConfig): ResolvedConfig => {
      const company = normalizeCompany(config.company);
      return { ...config, company, base_url: config.base_url ?? `https://${company}.hellobaton.com/api/` };
    },
);
