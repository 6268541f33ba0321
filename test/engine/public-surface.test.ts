/**
 * The engine has one public surface, src/engine/index.ts: the Airbyte adapters reach the engine only through
 * it (never its internals, such as sync.ts's defaults or the read plan's file), so the engine can change its
 * insides without breaking an entry point.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as engine from '../../src/engine/index.js';

const AIRBYTE = join(import.meta.dirname, '../../src/airbyte');

/** Every module specifier a file imports or re-exports from. */
function specifiers(source: string): string[] {
  return [...source.matchAll(/\b(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]!);
}

describe('the engine public surface', () => {
  it('src/airbyte imports the engine only through src/engine/index.ts', () => {
    const offenders: string[] = [];
    for (const file of readdirSync(AIRBYTE).filter((f) => f.endsWith('.ts'))) {
      for (const spec of specifiers(readFileSync(join(AIRBYTE, file), 'utf8')))
        if (spec.startsWith('../engine/') && spec !== '../engine/index.js')
          offenders.push(`${file}: ${spec}`);
    }
    expect(offenders).toEqual([]);
  });

  it('offers the batcher, the read plan and the sync, and nothing of the sync internals', () => {
    expect(Object.keys(engine)).toEqual(
      expect.arrayContaining(['StreamWriter', 'planStreamRead', 'resumeKey', 'runSync', 'selectStreams']),
    );
    expect(Object.keys(engine)).not.toContain('toTributaryError');
  });
});
