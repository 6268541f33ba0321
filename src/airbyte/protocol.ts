/**
 * The Airbyte protocol v0 messages tributary reads and writes, as TypeScript types. The normative schema is
 * airbyte_protocol.yaml (vendored in test/fixtures/airbyte); test/airbyte/protocol-schema.test.ts validates
 * every message we emit against it. Only the fields tributary uses are typed; the rest pass through.
 */

export type AirbyteSyncMode = 'full_refresh' | 'incremental';
export type DestinationSyncMode = 'append' | 'overwrite' | 'append_dedup' | 'update' | 'soft_delete';
export type FailureType = 'system_error' | 'config_error' | 'transient_error';
export type LogLevel = 'FATAL' | 'ERROR' | 'WARN' | 'INFO' | 'DEBUG' | 'TRACE';
export type StreamStatus = 'STARTED' | 'RUNNING' | 'COMPLETE' | 'INCOMPLETE';

export const MESSAGE_TYPES = [
  'RECORD',
  'STATE',
  'LOG',
  'SPEC',
  'CONNECTION_STATUS',
  'CATALOG',
  'TRACE',
  'CONTROL',
  'DESTINATION_CATALOG',
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export interface StreamDescriptorMsg {
  name: string;
  namespace?: string;
}

export interface AirbyteRecord {
  stream: string;
  namespace?: string;
  data: Record<string, unknown>;
  /** Epoch milliseconds. */
  emitted_at: number;
}

export interface AirbyteStreamState {
  stream_descriptor: StreamDescriptorMsg;
  stream_state?: Record<string, unknown>;
}

export interface AirbyteStateMessage {
  /** Absent means LEGACY. */
  type?: 'STREAM' | 'GLOBAL' | 'LEGACY';
  stream?: AirbyteStreamState;
  global?: { shared_state?: Record<string, unknown>; stream_states: AirbyteStreamState[] };
  /** LEGACY: the whole connector's state. */
  data?: Record<string, unknown>;
  sourceStats?: { recordCount?: number };
  destinationStats?: { recordCount?: number };
}

export interface AirbyteStream {
  name: string;
  namespace?: string;
  json_schema: Record<string, unknown>;
  supported_sync_modes: AirbyteSyncMode[];
  source_defined_cursor?: boolean;
  default_cursor_field?: string[];
  source_defined_primary_key?: string[][];
  is_resumable?: boolean;
}

export interface ConfiguredAirbyteStream {
  stream: AirbyteStream;
  sync_mode: AirbyteSyncMode;
  destination_sync_mode: DestinationSyncMode;
  cursor_field?: string[];
  primary_key?: string[][];
}

export interface ConfiguredAirbyteCatalog {
  streams: ConfiguredAirbyteStream[];
}

export interface StreamStatusReason {
  type: 'RATE_LIMITED';
  rate_limited?: { quota_reset?: number };
}

export interface AirbyteTrace {
  type: 'ERROR' | 'ESTIMATE' | 'STREAM_STATUS' | 'ANALYTICS';
  emitted_at: number;
  error?: {
    message: string;
    internal_message?: string;
    stack_trace?: string;
    failure_type?: FailureType;
    stream_descriptor?: StreamDescriptorMsg;
  };
  estimate?: {
    name: string;
    type: 'STREAM' | 'SYNC';
    namespace?: string;
    row_estimate?: number;
    byte_estimate?: number;
  };
  stream_status?: {
    stream_descriptor: StreamDescriptorMsg;
    status: StreamStatus;
    reasons?: StreamStatusReason[];
  };
}

export interface ConnectorSpecification {
  connectionSpecification: Record<string, unknown>;
  documentationUrl?: string;
  supportsIncremental?: boolean;
  supported_destination_sync_modes?: DestinationSyncMode[];
  protocol_version?: string;
}

export type AirbyteMessage =
  | { type: 'RECORD'; record: AirbyteRecord }
  | { type: 'STATE'; state: AirbyteStateMessage }
  | { type: 'LOG'; log: { level: LogLevel; message: string; stack_trace?: string } }
  | { type: 'SPEC'; spec: ConnectorSpecification }
  | { type: 'CONNECTION_STATUS'; connectionStatus: { status: 'SUCCEEDED' | 'FAILED'; message?: string } }
  | { type: 'CATALOG'; catalog: { streams: AirbyteStream[] } }
  | { type: 'TRACE'; trace: AirbyteTrace };

/** The protocol version these messages follow (the `version` of the vendored airbyte_protocol.yaml). */
export const PROTOCOL_VERSION = '0.3.2';
