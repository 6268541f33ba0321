/**
 * Builders for the Airbyte messages tributary emits, and the mapping of our typed errors to Airbyte failure
 * types. Every builder returns a plain object that validates against the protocol schema; text that may
 * carry a secret (error messages, log lines) goes through the global redactor here, at the last step.
 */
import { isTributaryError, type TributaryError } from '../errors.js';
import { stringifyJson } from '../util/exact-number.js';
import { globalRedactor } from '../util/redact.js';
import type {
  AirbyteMessage,
  AirbyteStateMessage,
  AirbyteStream,
  ConnectorSpecification,
  FailureType,
  LogLevel,
  StreamDescriptorMsg,
  StreamStatus,
} from './protocol.js';

export function descriptor(name: string, namespace?: string): StreamDescriptorMsg {
  return namespace === undefined ? { name } : { name, namespace };
}

export function specMessage(spec: ConnectorSpecification): AirbyteMessage {
  return { type: 'SPEC', spec };
}

export function connectionStatusMessage(ok: boolean, message?: string): AirbyteMessage {
  return {
    type: 'CONNECTION_STATUS',
    connectionStatus: {
      status: ok ? 'SUCCEEDED' : 'FAILED',
      ...(message === undefined ? {} : { message: globalRedactor.redact(message) }),
    },
  };
}

export function catalogMessage(streams: AirbyteStream[]): AirbyteMessage {
  return { type: 'CATALOG', catalog: { streams } };
}

/** One RECORD line, serialized directly: this runs once per record, so it skips the intermediate object. */
export function recordLine(
  stream: string,
  namespace: string | undefined,
  data: Record<string, unknown>,
  emittedAt: number,
): string {
  const ns = namespace === undefined ? '' : `,"namespace":${JSON.stringify(namespace)}`;
  return `{"type":"RECORD","record":{"stream":${JSON.stringify(stream)}${ns},"data":${stringifyJson(data)},"emitted_at":${emittedAt}}}\n`;
}

/**
 * A page of RECORD lines, UTF-8 encoded straight into one Buffer: the constant head of a line is copied as
 * bytes, each record's JSON is encoded in place, and the page goes to stdout as one write. Building one
 * long string instead (a rope of a page's lines) made the stream flatten it, measure its UTF-8 length and
 * encode it again. A page's buffer can be handed back with `release` once the stream has written it: V8
 * answers a fresh large buffer per page with frequent major GCs, so a recycled one saves their CPU.
 */
export class RecordEncoder {
  private readonly head: Buffer;
  /** Capacity of the next page's buffer: the largest page so far, so a page rarely grows it. */
  private capacity = 64 * 1024;
  private spare: Buffer | undefined;

  constructor(stream: string, namespace: string | undefined) {
    const ns = namespace === undefined ? '' : `,"namespace":${JSON.stringify(namespace)}`;
    this.head = Buffer.from(`{"type":"RECORD","record":{"stream":${JSON.stringify(stream)}${ns},"data":`);
  }

  /** The lines of `records` (each as `recordLine` writes it), in order. */
  encode(records: readonly Record<string, unknown>[], emittedAt: number): Buffer {
    const head = this.head;
    const tail = Buffer.from(`,"emitted_at":${emittedAt}}}\n`);
    let buf = this.spare ?? Buffer.allocUnsafeSlow(this.capacity);
    this.spare = undefined;
    let off = 0;
    for (const r of records) {
      // Exact numbers (ids beyond 2^53, 1e400) are written as the number tokens the API sent.
      const json = stringifyJson(r);
      // A UTF-16 code unit is at most 3 UTF-8 bytes.
      const need = off + head.length + json.length * 3 + tail.length;
      if (need > buf.length) {
        const bigger = Buffer.allocUnsafeSlow(Math.max(need, buf.length * 2));
        bigger.set(buf.subarray(0, off));
        buf = bigger;
      }
      buf.set(head, off);
      off += head.length;
      off += buf.write(json, off);
      buf.set(tail, off);
      off += tail.length;
    }
    if (buf.length > this.capacity) this.capacity = buf.length;
    return buf.subarray(0, off);
  }

  /**
   * Hand back a chunk `encode` returned, for the next page to reuse. Only once nothing else refers to it:
   * a stream onto a file descriptor is done with a chunk when its write callback runs, a stream that
   * passes chunks on (a PassThrough) is not.
   */
  release(chunk: Buffer): void {
    // allocUnsafeSlow never shares its ArrayBuffer, so the chunk's buffer is the whole page buffer.
    const whole = Buffer.from(chunk.buffer, 0, chunk.buffer.byteLength);
    if (whole.length >= this.capacity) this.spare = whole;
  }
}

/** A per-stream STATE (type STREAM) with the number of records emitted since the stream's previous STATE. */
export function streamStateMessage(
  stream: StreamDescriptorMsg,
  streamState: Record<string, unknown>,
  recordCount: number,
): AirbyteMessage {
  const state: AirbyteStateMessage = {
    type: 'STREAM',
    stream: { stream_descriptor: stream, stream_state: streamState },
    // The protocol defines the count as a double; JSON has one number type, so an integer is valid.
    sourceStats: { recordCount },
  };
  return { type: 'STATE', state };
}

export function streamStatusMessage(
  stream: StreamDescriptorMsg,
  status: StreamStatus,
  rateLimitedUntil?: number,
): AirbyteMessage {
  return {
    type: 'TRACE',
    trace: {
      type: 'STREAM_STATUS',
      emitted_at: Date.now(),
      stream_status: {
        stream_descriptor: stream,
        status,
        ...(rateLimitedUntil === undefined
          ? {}
          : {
              reasons: [
                { type: 'RATE_LIMITED' as const, rate_limited: { quota_reset: Math.ceil(rateLimitedUntil) } },
              ],
            }),
      },
    },
  };
}

export function estimateMessage(stream: StreamDescriptorMsg, rows: number, bytes?: number): AirbyteMessage {
  return {
    type: 'TRACE',
    trace: {
      type: 'ESTIMATE',
      emitted_at: Date.now(),
      estimate: {
        name: stream.name,
        type: 'STREAM',
        ...(stream.namespace === undefined ? {} : { namespace: stream.namespace }),
        row_estimate: Math.round(rows),
        ...(bytes === undefined ? {} : { byte_estimate: Math.round(bytes) }),
      },
    },
  };
}

export function errorTraceMessage(err: unknown, stream?: StreamDescriptorMsg): AirbyteMessage {
  const e = isTributaryError(err) ? err : undefined;
  const message = globalRedactor.redact(
    e ? e.message : err instanceof Error ? `unexpected error: ${err.message}` : String(err),
  );
  return {
    type: 'TRACE',
    trace: {
      type: 'ERROR',
      emitted_at: Date.now(),
      error: {
        message,
        internal_message: e ? e.code : 'TRB_INTERNAL',
        failure_type: failureTypeOf(err),
        ...(e === undefined && err instanceof Error && err.stack
          ? { stack_trace: globalRedactor.redact(err.stack) }
          : {}),
        ...(stream === undefined ? {} : { stream_descriptor: stream }),
      },
    },
  };
}

export function logMessage(level: LogLevel, message: string): AirbyteMessage {
  return { type: 'LOG', log: { level, message: globalRedactor.redact(message) } };
}

/**
 * Our error codes as Airbyte failure types: what the user must fix (config, credentials, unknown streams)
 * is config_error; what may pass on a retry (rate limits, network, timeouts, 5xx) is transient_error;
 * everything else (bad responses, bad records, destination and internal failures) is system_error.
 */
export function failureTypeOf(err: unknown): FailureType {
  if (!isTributaryError(err)) return 'system_error';
  const e = err as TributaryError;
  if (e.exitCode === 2 || e.code === 'TRB_AUTH') return 'config_error';
  switch (e.code) {
    case 'TRB_RATE_LIMITED':
    case 'TRB_SOURCE_NETWORK':
    case 'TRB_SOURCE_TIMEOUT':
    case 'TRB_DEST_CONNECTION':
    case 'TRB_DEST_LOCKED':
      return 'transient_error';
    case 'TRB_SOURCE_HTTP': {
      const status = Number(e.details.status);
      return e.retryable || status >= 500 || status === 408 ? 'transient_error' : 'system_error';
    }
    default:
      return e.retryable ? 'transient_error' : 'system_error';
  }
}
