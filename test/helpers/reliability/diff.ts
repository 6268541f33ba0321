/** Short, readable differences between two canonical dumps (a full toEqual diff of 10k rows helps nobody). */

export function diffDumps(
  got: Record<string, string[]>,
  want: Record<string, string[]>,
  label = '',
): string | undefined {
  const problems: string[] = [];
  const gotTables = Object.keys(got).sort();
  const wantTables = Object.keys(want).sort();
  if (gotTables.join(',') !== wantTables.join(',')) {
    problems.push(`tables differ: got [${gotTables.join(', ')}], want [${wantTables.join(', ')}]`);
  }
  for (const t of wantTables) {
    const g = got[t] ?? [];
    const w = want[t]!;
    if (g.length === w.length && g.every((row, i) => row === w[i])) continue;
    const gs = new Set(g);
    const ws = new Set(w);
    const missing = w.filter((r) => !gs.has(r));
    const extra = g.filter((r) => !ws.has(r));
    problems.push(
      `${t}: ${g.length} rows, want ${w.length}; ${missing.length} missing or different, ${extra.length} unexpected` +
        (missing.length ? `\n    want: ${missing.slice(0, 2).join('\n          ')}` : '') +
        (extra.length ? `\n    got:  ${extra.slice(0, 2).join('\n          ')}` : ''),
    );
  }
  return problems.length ? `${label}${label ? ': ' : ''}${problems.join('\n  ')}` : undefined;
}

export function diffTypes(
  got: Record<string, Record<string, string>>,
  want: Record<string, Record<string, string>>,
): string | undefined {
  const problems: string[] = [];
  for (const [t, cols] of Object.entries(want)) {
    for (const [c, type] of Object.entries(cols)) {
      if (got[t]?.[c] !== type) problems.push(`${t}.${c}: ${got[t]?.[c] ?? 'missing'}, want ${type}`);
    }
    for (const c of Object.keys(got[t] ?? {}))
      if (!(c in cols)) problems.push(`${t}.${c}: unexpected column`);
  }
  return problems.length ? `column types: ${problems.slice(0, 10).join('; ')}` : undefined;
}
