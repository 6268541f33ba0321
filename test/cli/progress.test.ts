/** The live display: log lines land above it, never inside; it stops once and never redraws after. */
import { describe, expect, it } from 'vitest';
import { newStreamSummary } from '../../src/engine/summary.js';
import { ProgressDisplay } from '../../src/cli/progress.js';
import { humanLogLine } from '../../src/cli/human-log.js';
import { finalScreen } from '../helpers/screen.js';

function fakeTerminal(columns = 80, rows = 24) {
  let written = '';
  return {
    columns,
    rows,
    write(s: string) {
      written += s;
      return true;
    },
    get written() {
      return written;
    },
  };
}

const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

describe('ProgressDisplay', () => {
  it('prints a log line above the block and redraws the block below it', () => {
    const term = fakeTerminal();
    const display = new ProgressDisplay(term);
    const streams = ['a', 'b', 'c'].map((s) => ({
      ...newStreamSummary(s, 'full_refresh'),
      status: 'running' as const,
    }));
    display.update(streams);
    display.log('WARN something happened\n');
    streams[0]!.records = 42;
    display.stop();
    const screen = finalScreen(term.written, 80, 24).map(plain);
    expect(screen.slice(0, 4).map((l) => l.split(/\s+/).slice(0, 3).join(' '))).toEqual([
      'WARN something happened',
      '… a 42',
      '… b 0',
      '… c 0',
    ]);
  });

  it('routes what other code writes to its stream above the block while live, and gives the stream back on stop', () => {
    const term = fakeTerminal();
    const ownWrite = term.write;
    const display = new ProgressDisplay(term);
    display.update([{ ...newStreamSummary('a', 'incremental'), status: 'running' }]);
    expect(term.write).not.toBe(ownWrite);
    // As Node's process.emitWarning would, straight to the stream.
    term.write('(node:1) Warning: something\n');
    display.stop();
    expect(term.write).toBe(ownWrite);
    const screen = finalScreen(term.written, 80, 24).map(plain);
    expect(screen.slice(0, 3)).toEqual([
      '(node:1) Warning: something',
      expect.stringMatching(/^… a\s+0 rec/),
      '',
    ]);
  });

  it('stops once: stop, update and log after it redraw nothing', () => {
    const term = fakeTerminal();
    const display = new ProgressDisplay(term);
    display.update([newStreamSummary('a', 'incremental')]);
    display.stop();
    const after = term.written;
    display.stop();
    display.update([newStreamSummary('b', 'incremental')]);
    expect(term.written).toBe(after);
    display.log('late line\n');
    expect(term.written).toBe(`${after}late line\n`);
  });

  it('cuts rows to the terminal width and caps the block to its height, so redraws stay in place', () => {
    const term = fakeTerminal(40, 8);
    const display = new ProgressDisplay(term);
    const streams = Array.from({ length: 12 }, (_, i) =>
      newStreamSummary(`stream_with_a_long_name_${i}`, 'x'),
    );
    display.update(streams);
    display.log('line one\n');
    display.stop();
    const screen = finalScreen(term.written, 40, 8).map(plain);
    expect(screen[0]).toBe('line one');
    expect(screen[1]).toMatch(/^· stream_with_a_long_name_0 /);
    expect(screen[6]).toMatch(/… 7 more streams/);
    for (const l of screen) expect(l.length).toBeLessThan(40);
  });
});

describe('humanLogLine', () => {
  it('renders a pino line for a person and passes other text through', () => {
    const line = humanLogLine(
      '{"level":"warn","time":"2026-12-02T18:00:05.000Z","stream":"tasks","msg":"retrying","attempt":2}\n',
    );
    expect(plain(line)).toBe('18:00:05 WARN  tasks: retrying (attempt=2)\n');
    expect(humanLogLine('not json')).toBe('not json\n');
  });
});
