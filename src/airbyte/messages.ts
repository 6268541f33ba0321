/**
 * Builders for the Airbyte messages tributary emits, and the mapping of our typed errors to Airbyte failure
 * types. Every builder returns a plain object that validates against the protocol schema; text that may
 * carry a secret (error messages, log lines) goes through the global redactor here, at the last step.
 */
import { isTributaryError, type TributaryError } from '../errors.js';
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
  return `{"type":"RECORD","record":{"stream":${JSON.stringify(stream)}${ns},"data":${JSON.stringify(data)},"emitted_at":${emittedAt}}}\n`;
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
