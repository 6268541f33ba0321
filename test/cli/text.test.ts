/** The day-two commands' text: where a stream's next sync starts, stream-name checks, times and tables. */
import { describe, expect, it } from 'vitest';
import { checkStreamNames, describePosition } from '../../src/cli/inspect.js';
import { formatDuration, formatTime, textTable } from '../../src/cli/text-table.js';

describe('describePosition', () => {
  it('names the cursor of an incremental stream and the pass of a full refresh', () => {
    expect(
      describePosition({
        version: 1,
        mode: 'incremental',
        source: { cursor: '2025-01-02T03:04:05.000Z', in_progress: false },
        complete: true,
      }),
    ).toBe('cursor 2025-01-02T03:04:05.000Z');
    expect(
      describePosition({
        version: 1,
        mode: 'full_refresh',
        source: { page: 7, in_progress: true },
        pass: 'e33e0f47-fbb4-4a86',
        complete: false,
      }),
    ).toBe('pass e33e0f47 page=7');
    expect(describePosition({ version: 1, mode: 'incremental', source: {}, complete: false })).toBe(
      'no cursor yet',
    );
    expect(describePosition(undefined)).toMatch(/^no state/);
  });

  it('cuts long checkpoint values', () => {
    const ids = Array.from({ length: 50 }, (_, i) => `id-${i}`);
    const text = describePosition({
      version: 1,
      mode: 'incremental',
      source: { cursor: 'c', ids },
      complete: false,
    });
    expect(text).toMatch(/^cursor c ids=\["id-0".{20,}…$/);
    expect(text.length).toBeLessThan(60);
  });
});

describe('checkStreamNames', () => {
  it('passes known names and lists every stream for an unknown one (exit 2)', () => {
    expect(checkStreamNames('humaans', ['people', 'documents'], ['people'])).toEqual(['people']);
    expect(checkStreamNames('humaans', ['people'], undefined)).toBeUndefined();
    expect(() => checkStreamNames('humaans', ['people', 'documents'], ['docs', 'peple'])).toThrow(
      expect.objectContaining({
        code: 'TRB_UNKNOWN_STREAM',
        exitCode: 2,
        message: 'unknown streams "docs", "peple" for humaans (streams: people, documents)',
      }),
    );
    expect(() => checkStreamNames('humaans', ['people'], [])).toThrow(
      /--streams names no stream for humaans \(streams: people\)/,
    );
  });
});

describe('formatting', () => {
  it('times in UTC to the second, durations by size, tables by column', () => {
    expect(formatTime(new Date('2026-12-02T18:29:26.123Z'))).toBe('2026-12-02 18:29:26Z');
    expect(formatTime(undefined)).toBe('—');
    expect(formatDuration(4200)).toBe('4.2s');
    expect(formatDuration(185_000)).toBe('3m05s');
    expect(formatDuration(7_800_000)).toBe('2h10m');
    expect(
      textTable(
        ['a', 'n'],
        [
          ['xyz', '5'],
          ['b', '10'],
        ],
        [1],
      ),
    ).toBe('a     n\n---  --\nxyz   5\nb    10');
  });
});
