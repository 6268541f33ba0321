/** Per-stream counters of a run, and the end-of-run summary table (in the spirit of `fivetran debug`). */
import type { DestinationWarning } from '../destinations/destination.js';
import type { StreamMetrics } from './source.js';

/** One kind of destination warning in a stream's run: how many values it changed, and its first message. */
export interface StreamWarning {
  code: DestinationWarning['code'];
  /** Values changed over the run (a warning without a count counts 1). */
  values: number;
  /** The first such warning's message (later ones differ only in their counts and columns). */
  message: string;
}

export interface StreamSummary {
  stream: string;
  mode: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';
  records: number;
  upserts: number;
  /** Rows a client-side incremental pass found unchanged and did not rewrite. */
  unchanged: number;
  softDeletes: number;
  pages: number;
  batches: number;
  /** Tables this run created (a first sync creates each stream's table). */
  tablesCreated: number;
  /** Columns added or widened (table creations are counted in `tablesCreated`). */
  schemaChanges: number;
  metrics: StreamMetrics;
  startedAt?: number;
  endedAt?: number;
  error?: { code: string; message: string };
  resumed: boolean;
  /** What the destination had to change in values to store them (one entry per warning code). */
  warnings: StreamWarning[];
}

export interface RunSummary {
  runId: string;
  connector: string;
  destination: string;
  status: 'succeeded' | 'failed';
  startedAt: string;
  endedAt: string;
  durationMs: number;
  streams: StreamSummary[];
  error?: { code: string; message: string };
}

export function newStreamSummary(stream: string, mode: string): StreamSummary {
  return {
    stream,
    mode,
    status: 'pending',
    records: 0,
    upserts: 0,
    unchanged: 0,
    softDeletes: 0,
    pages: 0,
    batches: 0,
    tablesCreated: 0,
    schemaChanges: 0,
    metrics: { requests: 0, retries: 0, http429: 0, budgetWaitMs: 0, bytes: 0 },
    resumed: false,
    warnings: [],
  };
}

/** Count a write's warnings into the stream's summary; returns the ones to log (each warning once). */
export function addWarnings(
  summary: StreamSummary,
  warnings: readonly DestinationWarning[] | undefined,
): readonly DestinationWarning[] {
  for (const w of warnings ?? []) {
    const values = typeof w.details.values === 'number' ? w.details.values : 1;
    const kept = summary.warnings.find((k) => k.code === w.code);
    if (kept === undefined) summary.warnings.push({ code: w.code, values, message: w.message });
    else kept.values += values;
  }
  return warnings ?? [];
}

export function durationOf(s: StreamSummary): number {
  if (!s.startedAt) return 0;
  return (s.endedAt ?? Date.now()) - s.startedAt;
}

/** Render the summary as a fixed-width table. */
export function formatSummary(run: RunSummary): string {
  const header = [
    'stream',
    'mode',
    'status',
    'upserts',
    'unchanged',
    'soft deletes',
    'pages',
    'requests',
    'retries',
    '429s',
    'budget wait',
    'new table',
    'schema chg',
    'duration',
  ];
  const rows = run.streams.map((s) => [
    s.stream,
    s.mode + (s.resumed ? ' (resumed)' : ''),
    s.status,
    String(s.upserts),
    String(s.unchanged),
    String(s.softDeletes),
    String(s.pages),
    String(s.metrics.requests),
    String(s.metrics.retries),
    String(s.metrics.http429),
    `${(s.metrics.budgetWaitMs / 1000).toFixed(1)}s`,
    s.tablesCreated > 0 ? 'created' : '',
    String(s.schemaChanges),
    `${(durationOf(s) / 1000).toFixed(1)}s`,
  ]);
  const total = [
    'TOTAL',
    '',
    '',
    String(sum(run.streams, (s) => s.upserts)),
    String(sum(run.streams, (s) => s.unchanged)),
    String(sum(run.streams, (s) => s.softDeletes)),
    String(sum(run.streams, (s) => s.pages)),
    String(sum(run.streams, (s) => s.metrics.requests)),
    String(sum(run.streams, (s) => s.metrics.retries)),
    String(sum(run.streams, (s) => s.metrics.http429)),
    '',
    String(sum(run.streams, (s) => s.tablesCreated)),
    String(sum(run.streams, (s) => s.schemaChanges)),
    `${(run.durationMs / 1000).toFixed(1)}s`,
  ];
  const all = [header, ...rows, total];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const sep = widths.map((w) => '-'.repeat(w)).join('  ');
  const out = [line(header), sep, ...rows.map(line), sep, line(total), ''];
  out.push(
    `Sync ${run.status === 'succeeded' ? 'SUCCEEDED' : 'FAILED'}: ${run.connector} → ${run.destination} (run ${run.runId})`,
  );
  if (run.error) out.push(`Error [${run.error.code}]: ${run.error.message}`);
  for (const s of run.streams)
    if (s.error && s.error.message !== run.error?.message)
      out.push(`  ${s.stream}: [${s.error.code}] ${s.error.message}`);
  for (const s of run.streams)
    for (const w of s.warnings)
      out.push(`  ${s.stream}: warning [${w.code}] ${w.values} value(s): ${w.message}`);
  return out.join('\n');
}

function sum<T>(xs: T[], f: (x: T) => number): number {
  return xs.reduce((a, x) => a + f(x), 0);
}
