/**
 * The exit-code table: every error code has exactly one exit code (src/errors.ts EXIT_CODES), the README's
 * table lists exactly the same codes with the same exits, and the error classes take no per-instance override.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AuthError,
  ConfigError,
  DestinationError,
  ERROR_CODES,
  EXIT_CODES,
  EXIT_MEANINGS,
  exitCodeFor,
  RateLimitError,
  SourceError,
  TributaryError,
} from '../../src/errors.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The README's rows `| \`TRB_X\` | N | meaning | what to do |`, in order. */
function readmeCodeRows(): Array<{ code: string; exit: number; meaning: string; todo: string }> {
  const rows: Array<{ code: string; exit: number; meaning: string; todo: string }> = [];
  for (const m of readme.matchAll(/^\| `(TRB_[A-Z_]+)` \| (\d) \| ([^|]+) \| ([^|]+) \|$/gm)) {
    rows.push({ code: m[1]!, exit: Number(m[2]), meaning: m[3]!.trim(), todo: m[4]!.trim() });
  }
  return rows;
}

describe('exit codes', () => {
  it('every error code maps to exactly one exit code, 1, 2 or 3, and nothing else is in the table', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    expect(Object.keys(EXIT_CODES).sort()).toEqual([...ERROR_CODES].sort());
    for (const code of ERROR_CODES) expect([1, 2, 3], code).toContain(EXIT_CODES[code]);
  });

  it('the README lists every error code once, with the exit code of the table and what to do', () => {
    const rows = readmeCodeRows();
    expect(rows.map((r) => r.code).sort()).toEqual([...ERROR_CODES].sort());
    for (const row of rows) {
      expect(row.exit, row.code).toBe(EXIT_CODES[row.code as keyof typeof EXIT_CODES]);
      expect(row.meaning.length, row.code).toBeGreaterThan(10);
      expect(row.todo.length, row.code).toBeGreaterThan(3);
    }
    for (const [exit, meaning] of Object.entries(EXIT_MEANINGS)) {
      expect(readme, `README explains exit ${exit} (${meaning})`).toMatch(
        new RegExp(`^\\| \`${exit}\` \\|`, 'm'),
      );
    }
  });

  it('the decisions the issue asked for: lock 3, unreachable 1, bad destination and auth 2, contract 1', () => {
    expect(EXIT_CODES.TRB_DEST_LOCKED).toBe(3);
    expect(EXIT_CODES.TRB_DEST_UNREACHABLE).toBe(1);
    expect(EXIT_CODES.TRB_DEST_OPEN).toBe(2);
    expect(EXIT_CODES.TRB_AUTH).toBe(2);
    expect(EXIT_CODES.TRB_NAMESPACE_OWNED).toBe(2);
    expect(EXIT_CODES.TRB_SOURCE_CONTRACT).toBe(1);
    expect(EXIT_CODES.TRB_RATE_LIMITED).toBe(1);
  });

  it('an error instance takes its exit code from its code alone, whatever its class', () => {
    const errors: TributaryError[] = [
      new ConfigError('x'),
      new ConfigError('x', { code: 'TRB_NAMESPACE_OWNED' }),
      new AuthError('x'),
      new RateLimitError('x'),
      new SourceError('TRB_SOURCE_CONTRACT', 'x'),
      new DestinationError('TRB_DEST_LOCKED', 'x'),
      new DestinationError('TRB_DEST_UNREACHABLE', 'x'),
      new DestinationError('TRB_DEST_OPEN', 'x'),
      new TributaryError('TRB_INTERNAL', 'x'),
    ];
    for (const e of errors) expect(e.exitCode, e.code).toBe(EXIT_CODES[e.code]);
    // No option can override it (a type error, and ignored at run time).
    const forced = new DestinationError('TRB_DEST_LOCKED', 'x', { exitCode: 2 } as never);
    expect(forced.exitCode).toBe(3);
  });

  it('an unknown code (a failed run carrying a foreign code) is a failure, exit 1', () => {
    expect(exitCodeFor(undefined)).toBe(1);
    expect(exitCodeFor('NOT_A_CODE')).toBe(1);
    expect(exitCodeFor('toString')).toBe(1);
  });
});
