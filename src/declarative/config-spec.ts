/**
 * Validating a user's config against a connector's config spec. Values may be strings (Fivetran style) or
 * native JSON; they are coerced to the declared type. Every failure names the field and what is allowed;
 * nothing falls back silently to a default.
 */
import { ConfigError } from '../errors.js';
import type { ConfigPropertyDef, ConfigSpecDef } from './manifest-schema.js';

export type ResolvedConfig = Record<string, string | number | boolean>;

export function validateConfig(
  spec: ConfigSpecDef,
  raw: Record<string, unknown>,
  connector: string,
): ResolvedConfig {
  const out: ResolvedConfig = {};
  const problems: string[] = [];
  for (const key of Object.keys(raw)) {
    if (!Object.hasOwn(spec.properties, key)) {
      problems.push(`unknown key "${key}" (allowed: ${Object.keys(spec.properties).join(', ')})`);
    }
  }
  for (const [key, prop] of Object.entries(spec.properties)) {
    const value = raw[key];
    if (value === undefined || value === null || value === '') {
      if (spec.required.includes(key)) {
        problems.push(`"${key}" is required${prop.description ? ` (${prop.description})` : ''}`);
      } else if (prop.default !== undefined) {
        out[key] = prop.default;
      }
      continue;
    }
    const r = coerce(key, prop, value);
    if (typeof r === 'string' && r.startsWith('\u0000')) problems.push(r.slice(1));
    else out[key] = r;
  }
  if (problems.length > 0) {
    const first = problems[0]!;
    throw new ConfigError(
      `invalid ${connector} config: ${first}${problems.length > 1 ? ` (and ${problems.length - 1} more: ${problems.slice(1).join('; ')})` : ''}`,
      { details: { connector, problems } },
    );
  }
  return out;
}

/** Returns the coerced value, or a problem string prefixed with NUL. */
function coerce(key: string, prop: ConfigPropertyDef, value: unknown): string | number | boolean {
  const bad = (why: string) => `\u0000"${key}" ${why}`;
  const shown = prop.secret ? '(secret)' : typeof value === 'number' ? String(value) : JSON.stringify(value);
  switch (prop.type) {
    case 'string': {
      if (typeof value !== 'string') return bad(`must be a string, got ${typeof value}`);
      if (prop.enum && !prop.enum.includes(value))
        return bad(`must be one of ${prop.enum.join(', ')}, got ${shown}`);
      if (prop.pattern && !new RegExp(prop.pattern).test(value))
        return bad(`does not match ${prop.pattern}: ${shown}`);
      if (prop.format === 'uri') {
        let u: URL;
        try {
          u = new URL(value);
        } catch {
          return bad(`must be an http(s) URL, got ${shown}`);
        }
        if (u.protocol !== 'http:' && u.protocol !== 'https:')
          return bad(`must be an http or https URL, got ${u.protocol}`);
        if (u.username || u.password) return bad('must not carry credentials in the URL');
      }
      return value;
    }
    case 'integer':
    case 'number': {
      let n: number;
      if (typeof value === 'number' && Number.isFinite(value)) n = value;
      else if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) n = Number(value);
      else
        return bad(
          `must be ${prop.type === 'integer' ? 'an integer' : 'a number'}${range(prop)}, got ${shown}`,
        );
      if (prop.type === 'integer' && !Number.isInteger(n))
        return bad(`must be an integer${range(prop)}, got ${shown}`);
      if (
        (prop.minimum !== undefined && n < prop.minimum) ||
        (prop.maximum !== undefined && n > prop.maximum)
      ) {
        return bad(`is out of range: got ${n}, allowed${range(prop)}`);
      }
      return n;
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string') {
        const v = value.trim().toLowerCase();
        if (['true', '1', 'yes', 'on'].includes(v)) return true;
        if (['false', '0', 'no', 'off'].includes(v)) return false;
      }
      return bad(`must be true or false, got ${shown}`);
    }
  }
}

function range(prop: ConfigPropertyDef): string {
  if (prop.minimum !== undefined && prop.maximum !== undefined) return ` ${prop.minimum}–${prop.maximum}`;
  if (prop.minimum !== undefined) return ` ≥ ${prop.minimum}`;
  if (prop.maximum !== undefined) return ` ≤ ${prop.maximum}`;
  return '';
}

/** The config spec as JSON Schema (draft-07), with secrets marked for Airbyte (`airbyte_secret`) and editors. */
export function configJsonSchema(spec: ConfigSpecDef, title: string): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [key, p] of Object.entries(spec.properties)) {
    const { secret, format, ...rest } = p;
    properties[key] = {
      ...rest,
      ...(format === 'uri' ? { format: 'uri' } : {}),
      ...(secret ? { airbyte_secret: true, writeOnly: true } : {}),
    };
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: `${title} Spec`,
    type: 'object',
    required: spec.required,
    additionalProperties: false,
    properties,
  };
}

export function secretKeys(spec: ConfigSpecDef): string[] {
  return Object.entries(spec.properties)
    .filter(([, p]) => p.secret)
    .map(([k]) => k);
}
