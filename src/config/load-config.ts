/** Reading a config file: JSON or YAML, with `${ENV_VAR}` interpolation, and errors that name the file and line. */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ConfigError } from '../errors.js';

export type RawConfig = Record<string, unknown>;

/** Load and interpolate a config file. Throws ConfigError (exit 2) for a missing file, bad syntax or a missing env var. */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): RawConfig {
  return interpolateEnv(readConfigFile(path), env, path);
}

/** Read a JSON or YAML mapping as written, `${ENV}` references left in place. Same errors as loadConfigFile. */
export function readConfigFile(path: string): RawConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `config file ${path} cannot be read (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code})`,
      { code: 'TRB_CONFIG_MISSING', details: { path } },
    );
  }
  return parseMapping(text, path);
}

export function parseConfigText(
  text: string,
  source: string,
  env: NodeJS.ProcessEnv = process.env,
): RawConfig {
  return interpolateEnv(parseMapping(text, source), env, source);
}

/**
 * Parse JSON or YAML holding a mapping, without `${ENV}` interpolation: for files whose parts are resolved
 * at different times (a connections file is listed without the secrets its connections use).
 */
export function parseMapping(text: string, source: string): RawConfig {
  // YAML is a superset of JSON, so one parser serves both and reports line/column for either.
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new ConfigError(
      `config file ${source} is not valid JSON or YAML${pos ? ` (line ${pos.line}, column ${pos.col})` : ''}: ${e.message.split('\n')[0]}`,
      { details: { path: source, line: pos?.line } },
    );
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(
      `config file ${source} must hold a mapping of keys to values, not ${Array.isArray(value) ? 'a list' : typeof value}`,
      {
        details: { path: source },
      },
    );
  }
  return value as RawConfig;
}

/** Replace `${NAME}` (and `${NAME:-default}`) in every string value. A missing variable is an error, never "". */
export function interpolateEnv<T>(value: T, env: NodeJS.ProcessEnv, source: string, path = ''): T {
  if (typeof value === 'string') {
    return value.replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
      (_m, name: string, def: string | undefined) => {
        const v = env[name];
        if (v !== undefined) return v;
        if (def !== undefined) return def;
        throw new ConfigError(
          `config ${source}: ${path || 'value'} refers to environment variable \${${name}}, which is not set`,
          {
            code: 'TRB_CONFIG_ENV',
            details: { path: source, field: path, variable: name },
          },
        );
      },
    ) as T;
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, source, `${path}[${i}]`)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = interpolateEnv(v, env, source, path ? `${path}.${k}` : k);
    return out as T;
  }
  return value;
}
