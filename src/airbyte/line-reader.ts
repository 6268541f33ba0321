/**
 * Splitting a byte stream (stdin) into lines with bounded memory: chunks are split as they arrive, and a
 * line longer than `maxLineBytes` is an error rather than a buffer that grows without end. Unlike readline,
 * it tells whether the input ended with a newline, so a message cut off mid-line is detected.
 */
import { StringDecoder } from 'node:string_decoder';
import { SourceError } from '../errors.js';

export interface InputLine {
  text: string;
  /** 1-based line number. */
  number: number;
  /** False only for a last line the input ended in the middle of (no trailing newline). */
  terminated: boolean;
}

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

export async function* readLines(
  input: AsyncIterable<Buffer | string>,
  maxLineBytes = DEFAULT_MAX_LINE_BYTES,
): AsyncGenerator<InputLine> {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  let number = 0;
  for await (const chunk of input) {
    const text = partial + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      number++;
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield { text: text.slice(start, end), number, terminated: true };
      start = nl + 1;
    }
    partial = text.slice(start);
    if (partial.length > maxLineBytes) {
      throw new SourceError(
        'TRB_SOURCE_BAD_RESPONSE',
        `input line ${number + 1} is longer than ${maxLineBytes} bytes without a newline; an Airbyte message is one JSON object per line`,
        { details: { line: number + 1 } },
      );
    }
  }
  partial += decoder.end();
  if (partial.length > 0) yield { text: partial, number: number + 1, terminated: false };
}
