/**
 * A connection's config as the dashboard shows it: every secret masked. Masked are the keys the connector's
 * config spec flags `secret`, any key whose name says it is one (token, password, key, secret), and any
 * value the process-wide redactor knows; `${ENV}` references are shown as written (a reference is not its
 * value). The destination loses its URL's userinfo (displayUrl) and registered secrets.
 */
import { readConfigFile } from '../config/load-config.js';
import type { Connection } from '../connections/connections-file.js';
import { loadConnector } from '../connectors/registry.js';
import { secretKeys } from '../declarative/config-spec.js';
import { displayUrl } from '../util/display-url.js';
import { globalRedactor } from '../util/redact.js';

export const MASK = '•••••• (secret)';
const SECRET_NAME = /token|passw|secret|api[_-]?key|^key$|credential|private/i;

export interface MaskedConfig {
  /** Entries in file order: [key, shown value]. */
  entries: [string, string][];
  destination: string;
  /** The config file the values came from, when not inline. */
  source: string;
  /** Why the config could not be read (the page says so instead of failing). */
  problem?: string;
}

export async function maskedConfig(connection: Connection): Promise<MaskedConfig> {
  let secret = new Set<string>();
  let problem: string | undefined;
  try {
    secret = new Set(secretKeys((await loadConnector(connection.connector)).manifest.spec));
  } catch (err) {
    problem = `connector ${connection.connector} could not be loaded, so every value is masked: ${globalRedactor.redact((err as Error).message)}`;
  }
  let config: Record<string, unknown> = connection.config;
  let source = 'the connections file';
  if (connection.configFile !== undefined) {
    source = connection.configFile;
    try {
      config = readConfigFile(connection.configFile);
    } catch (err) {
      config = {};
      problem = `config file cannot be read: ${globalRedactor.redact((err as Error).message)}`;
    }
  }
  const entries: [string, string][] = Object.entries(config).map(([k, v]) => {
    if (problem?.startsWith('connector')) return [k, MASK];
    if (secret.has(k) || SECRET_NAME.test(k)) return [k, MASK];
    return [k, globalRedactor.redact(typeof v === 'string' ? v : JSON.stringify(v))];
  });
  return {
    entries,
    destination: showDestination(connection.destination),
    source,
    ...(problem ? { problem } : {}),
  };
}

/** A destination as shown: no userinfo, no registered secret. */
export function showDestination(destination: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(destination)
    ? displayUrl(destination, globalRedactor)
    : globalRedactor.redact(destination);
}
