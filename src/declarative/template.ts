/**
 * Manifest templates: `{{ config.key }}` and `{{ now }}`. Deliberately not an expression language: a manifest
 * is data, and anything smarter belongs in a code component (the escape hatch).
 */
import { ConfigError } from '../errors.js';
import type { ResolvedConfig } from './config-spec.js';

export interface TemplateContext {
  config: ResolvedConfig;
  /** The sync's start time, ISO-8601 UTC. */
  now: string;
}

const WHOLE = /^\{\{\s*([a-z0-9_.]+)\s*\}\}$/i;
const PART = /\{\{\s*([a-z0-9_.]+)\s*\}\}/gi;

function lookup(expr: string, ctx: TemplateContext): string | number | boolean | undefined {
  if (expr === 'now') return ctx.now;
  if (expr.startsWith('config.')) return ctx.config[expr.slice('config.'.length)];
  throw new ConfigError(`manifest template {{ ${expr} }} is not supported (use config.<key> or now)`, {
    code: 'TRB_MANIFEST_INVALID',
  });
}

/** Resolve a template. A whole-value template keeps the value's type; embedded ones produce a string. */
export function resolve(
  value: string | number | boolean,
  ctx: TemplateContext,
): string | number | boolean | undefined {
  if (typeof value !== 'string') return value;
  const whole = WHOLE.exec(value);
  if (whole) return lookup(whole[1]!, ctx);
  return value.replace(PART, (_m, expr: string) => String(lookup(expr, ctx) ?? ''));
}

export function resolveNumber(value: string | number | boolean, ctx: TemplateContext, what: string): number {
  const v = resolve(value, ctx);
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) {
    throw new ConfigError(`manifest: ${what} must resolve to a number, got ${JSON.stringify(v)}`, {
      code: 'TRB_MANIFEST_INVALID',
    });
  }
  return n;
}

export function resolveBoolean(value: string | number | boolean, ctx: TemplateContext): boolean {
  const v = resolve(value, ctx);
  return v === true || v === 'true' || v === 1;
}

export function resolveString(value: string | number | boolean, ctx: TemplateContext): string {
  const v = resolve(value, ctx);
  return v === undefined ? '' : String(v);
}
