/**
 * Log lines for a person at a terminal: `12:04:05 WARN  tasks: retrying after 429 (attempt=2)` instead of
 * pino's JSON. Used by `sync` on a TTY, where the lines are printed above the live progress display. Anything
 * that is not a pino JSON line is passed through unchanged.
 */
import pc from 'picocolors';

const LEVEL_COLOURS: Record<string, (s: string) => string> = {
  debug: pc.dim,
  info: pc.cyan,
  warn: pc.yellow,
  error: pc.red,
  fatal: pc.red,
};

/**
 * Fields shown in the prefix or already implied, so not repeated as key=value. A terminal shows one run, whose
 * connector and run id the verdict names, so `runId` and `connector` (on every JSON line, for machines that
 * mix runs) would only push what matters past the edge of the screen.
 */
const PREFIX_FIELDS = new Set(['level', 'time', 'msg', 'stream', 'pid', 'hostname', 'runId', 'connector']);

export function humanLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  if (entry === null || typeof entry !== 'object') return `${line.trimEnd()}\n`;
  const level = String(entry.level ?? 'info');
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 19) : '';
  const colour = LEVEL_COLOURS[level] ?? ((s: string) => s);
  const where = typeof entry.stream === 'string' ? `${entry.stream}: ` : '';
  const fields = Object.entries(entry)
    .filter(([k, v]) => !PREFIX_FIELDS.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const rest = fields.length ? pc.dim(` (${fields.join(' ')})`) : '';
  return `${pc.dim(time)} ${colour(level.toUpperCase().padEnd(5))} ${where}${String(entry.msg ?? '')}${rest}\n`;
}
