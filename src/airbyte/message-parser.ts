/**
 * One input line → one Airbyte message, checked just enough to load it safely. A line that is not JSON,
 * not a message, or cut off at the end of the input is a SourceError naming the line; a message type the
 * protocol does not define is reported as UNKNOWN (the loader skips it with a warning, so a newer
 * protocol's additions never stop a load).
 */
import { SourceError } from '../errors.js';
import { parseJsonBody } from '../http/json-body.js';
import { globalRedactor } from '../util/redact.js';
import type { InputLine } from './line-reader.js';
import { MESSAGE_TYPES, type MessageType } from './protocol.js';

export type ParsedMessage =
  | {
      type: 'RECORD';
      record: { stream: string; namespace?: string; data: Record<string, unknown>; emitted_at?: number };
    }
  | { type: 'STATE'; state: import('./protocol.js').AirbyteStateMessage }
  | { type: 'TRACE'; trace: import('./protocol.js').AirbyteTrace }
  | { type: 'LOG'; log: { level?: string; message?: string } }
  | { type: Exclude<MessageType, 'RECORD' | 'STATE' | 'TRACE' | 'LOG'> }
  | { type: 'UNKNOWN'; unknownType: string };

export function parseInputLine(line: InputLine): ParsedMessage | undefined {
  const text = line.text;
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    // Exact numbers (ids beyond 2^53, 1e400) survive, as from an API response.
    value = parseJsonBody(text);
  } catch (err) {
    if (!line.terminated) {
      throw new SourceError(
        'TRB_SOURCE_BAD_RESPONSE',
        `the input was cut off in the middle of line ${line.number} (${text.length} bytes, no newline, not complete JSON); nothing after the last STATE was committed`,
        { details: { line: line.number } },
      );
    }
    throw new SourceError(
      'TRB_SOURCE_BAD_RESPONSE',
      `input line ${line.number} is not JSON (${(err as Error).message}): ${preview(text)}`,
      { details: { line: line.number } },
    );
  }
  const bad = (why: string): never => {
    throw new SourceError('TRB_SOURCE_BAD_RESPONSE', `input line ${line.number}: ${why}: ${preview(text)}`, {
      details: { line: line.number },
    });
  };
  if (!isObject(value) || typeof value.type !== 'string')
    return bad('not an Airbyte message (a JSON object with a "type")');
  const type = value.type;
  if (!(MESSAGE_TYPES as readonly string[]).includes(type)) return { type: 'UNKNOWN', unknownType: type };
  switch (type) {
    case 'RECORD': {
      const r = value.record;
      if (!isObject(r) || typeof r.stream !== 'string' || r.stream === '')
        return bad('RECORD without record.stream');
      if (!isObject(r.data)) return bad(`RECORD of stream "${r.stream}" without a record.data object`);
      if (r.namespace !== undefined && r.namespace !== null && typeof r.namespace !== 'string')
        return bad(`RECORD of stream "${r.stream}" with a non-string namespace`);
      return {
        type: 'RECORD',
        record: {
          stream: r.stream,
          namespace: (r.namespace ?? undefined) as string | undefined,
          data: r.data,
        },
      };
    }
    case 'STATE': {
      if (!isObject(value.state)) return bad('STATE without a state object');
      const t = value.state.type;
      if (t !== undefined && t !== 'STREAM' && t !== 'GLOBAL' && t !== 'LEGACY')
        return bad(`STATE of unknown type ${JSON.stringify(t)}`);
      return { type: 'STATE', state: value.state };
    }
    case 'TRACE':
      if (!isObject(value.trace)) return bad('TRACE without a trace object');
      return { type: 'TRACE', trace: value.trace as never };
    case 'LOG':
      if (!isObject(value.log)) return bad('LOG without a log object');
      return { type: 'LOG', log: value.log as { level?: string; message?: string } };
    default:
      return { type: type as Exclude<MessageType, 'RECORD' | 'STATE' | 'TRACE' | 'LOG'> };
  }
}

function preview(text: string): string {
  const t = globalRedactor.redact(text);
  return t.length > 120 ? `${t.slice(0, 120)}…` : t;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
