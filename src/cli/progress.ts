/**
 * The live progress display on a TTY: one line per stream with records, pages, rate, retries, 429s and the
 * time spent waiting for the rate budget. Redrawn in place at most 10 times a second.
 */
import pc from 'picocolors';
import { durationOf, type StreamSummary } from '../engine/summary.js';

export class ProgressDisplay {
  private lines = 0;
  private last = 0;
  private latest: StreamSummary[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {
    this.timer = setInterval(() => this.draw(), 250);
    this.timer.unref();
  }

  update(streams: StreamSummary[]): void {
    this.latest = streams;
    const now = Date.now();
    if (now - this.last >= 100) this.draw();
  }

  private draw(): void {
    this.last = Date.now();
    const rows = this.latest.map((s) => {
      const secs = durationOf(s) / 1000;
      const rate = secs > 0 ? Math.round(s.records / secs) : 0;
      const status =
        s.status === 'succeeded'
          ? pc.green('✔')
          : s.status === 'failed'
            ? pc.red('✖')
            : s.status === 'running'
              ? pc.cyan('…')
              : pc.dim('·');
      const wait =
        s.metrics.budgetWaitMs > 0
          ? pc.yellow(` budget wait ${(s.metrics.budgetWaitMs / 1000).toFixed(1)}s`)
          : '';
      const trouble =
        s.metrics.retries || s.metrics.http429
          ? pc.yellow(` retries ${s.metrics.retries} 429s ${s.metrics.http429}`)
          : '';
      return `${status} ${s.stream.padEnd(22)} ${String(s.records).padStart(9)} rec  ${String(s.pages).padStart(6)} pages  ${String(rate).padStart(7)} rec/s${trouble}${wait}`;
    });
    let buf = '';
    if (this.lines > 0) buf += `\x1b[${this.lines}A`;
    for (const r of rows) buf += `\x1b[2K${r}\n`;
    this.lines = rows.length;
    this.out.write(buf);
  }

  stop(): void {
    clearInterval(this.timer);
    this.draw();
  }
}
