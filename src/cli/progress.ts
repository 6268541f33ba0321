/**
 * The live progress display on a TTY: one line per stream with records, pages, rate, retries, 429s and the
 * time spent waiting for the rate budget. Redrawn in place at most 10 times a second.
 *
 * The block is redrawn by moving the cursor up over it and erasing to the end of the screen, so it must
 * know exactly how many terminal rows it occupies: rows are cut to the terminal's width (a wrapped row would
 * take two) and the block is capped to the terminal's height (the cursor cannot move above the screen).
 * Log lines go through `log`, which erases the block, prints the line and redraws below it, so a log line
 * never lands inside the block. `stop` draws the final state once; nothing is redrawn after it, so what the
 * caller prints next (the summary and the verdict) stays on screen.
 */
import pc from 'picocolors';
import { durationOf, type StreamSummary } from '../engine/summary.js';

/** The screen a display draws on: a TTY stream (its size may be unknown, e.g. 0×0 under some pseudo-terminals). */
export interface DisplayStream {
  write(s: string): boolean;
  columns?: number;
  rows?: number;
}

export class ProgressDisplay {
  private lines = 0;
  private last = 0;
  private latest: StreamSummary[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The stream's own write, kept while other writers to it are routed through `log`. */
  private readonly write: (s: string) => boolean;
  private restore: (() => void) | undefined;

  constructor(private readonly out: DisplayStream = process.stderr) {
    this.write = out.write.bind(out) as (s: string) => boolean;
  }

  update(streams: StreamSummary[]): void {
    if (this.stopped) return;
    this.latest = streams;
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.draw(), 250);
      this.timer.unref();
      this.captureWrites();
    }
    if (Date.now() - this.last >= 100) this.draw();
  }

  /** Print a log line (ending in a newline) above the live block. */
  log(text: string): void {
    if (this.stopped || this.lines === 0) {
      this.write(text);
      return;
    }
    // A partial line would leave the cursor mid-row, and the block would be drawn from there.
    this.write(`${this.erase()}${text.endsWith('\n') ? text : `${text}\n`}`);
    this.draw();
  }

  /** Draw the final state once and stop. Later calls, updates and redraws do nothing. */
  stop(): void {
    if (this.stopped) return;
    clearInterval(this.timer);
    this.draw();
    this.stopped = true;
    this.restore?.();
  }

  /**
   * While the block is live, text other code writes to the same stream (a Node warning from
   * `process.emitWarning`, a driver's notice, an in-process simulator's complaint) would land inside it. The
   * stream's `write` is replaced for that time so such text goes through `log`, above the block. Patching
   * is the only hook: those writers take no logger.
   */
  private captureWrites(): void {
    const out = this.out as { write: (...args: unknown[]) => boolean };
    const original = out.write;
    out.write = (chunk: unknown, ...rest: unknown[]) => {
      this.log(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      const done = rest.find((a) => typeof a === 'function') as (() => void) | undefined;
      done?.();
      return true;
    };
    this.restore = () => {
      out.write = original;
    };
  }

  private erase(): string {
    const up = this.lines > 0 ? `\x1b[${this.lines}A\r\x1b[J` : '';
    this.lines = 0;
    return up;
  }

  private draw(): void {
    if (this.stopped) return;
    this.last = Date.now();
    if (this.latest.length === 0) return;
    const width = this.out.columns && this.out.columns > 10 ? this.out.columns - 1 : 120;
    const height = this.out.rows && this.out.rows > 3 ? this.out.rows - 2 : 200;
    let shown = this.latest;
    let more = '';
    if (shown.length > height) {
      shown = this.latest.slice(0, height - 1);
      more = `  … ${this.latest.length - shown.length} more streams`.slice(0, width);
    }
    const rows = shown.map((s) => `${statusMark(s)} ${rowText(s).slice(0, width - 2)}`);
    if (more) rows.push(more);
    const buf = this.erase() + rows.map((r) => `${r}\n`).join('');
    this.lines = rows.length;
    this.write(buf);
  }
}

function statusMark(s: StreamSummary): string {
  return s.status === 'succeeded'
    ? pc.green('✔')
    : s.status === 'failed'
      ? pc.red('✖')
      : s.status === 'running'
        ? pc.cyan('…')
        : pc.dim('·');
}

/** One stream's line, without colour, so it can be cut to the terminal's width. */
function rowText(s: StreamSummary): string {
  const secs = durationOf(s) / 1000;
  const rate = secs > 0 ? Math.round(s.records / secs) : 0;
  const wait =
    s.metrics.budgetWaitMs > 0 ? ` budget wait ${(s.metrics.budgetWaitMs / 1000).toFixed(1)}s` : '';
  const trouble =
    s.metrics.retries || s.metrics.http429 ? ` retries ${s.metrics.retries} 429s ${s.metrics.http429}` : '';
  return `${s.stream.padEnd(22)} ${String(s.records).padStart(9)} rec  ${String(s.pages).padStart(6)} pages  ${String(rate).padStart(7)} rec/s${trouble}${wait}`;
}
