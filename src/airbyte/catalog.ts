/**
 * Catalogs: what `discover` reports for a tributary source (AirbyteStream per StreamDescriptor), and reading
 * a ConfiguredAirbyteCatalog file (`--catalog`) with errors that name the file and the offending field.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import type { StreamDescriptor } from '../engine/index.js';
import type {
  AirbyteStream,
  AirbyteSyncMode,
  ConfiguredAirbyteCatalog,
  ConfiguredAirbyteStream,
  DestinationSyncMode,
} from './protocol.js';

const SYNC_MODES: AirbyteSyncMode[] = ['full_refresh', 'incremental'];
const DESTINATION_SYNC_MODES: DestinationSyncMode[] = [
  'append',
  'overwrite',
  'append_dedup',
  'update',
  'soft_delete',
];

/** A source stream as Airbyte sees it. Our cursors (incremental and pagination) are always source-defined. */
export function toAirbyteStream(s: StreamDescriptor, namespace?: string): AirbyteStream {
  const incremental = s.supportedSyncModes.includes('incremental');
  return {
    name: s.name,
    ...(namespace === undefined ? {} : { namespace }),
    json_schema: s.jsonSchema,
    supported_sync_modes: [...s.supportedSyncModes],
    source_defined_cursor: true,
    ...(incremental && s.cursorField ? { default_cursor_field: [s.cursorField] } : {}),
    source_defined_primary_key: s.primaryKey.map((k) => [k]),
    is_resumable: s.resumable,
  };
}

/** A configured catalog that reads every stream: incremental where supported, else full refresh. */
export function defaultConfiguredCatalog(streams: StreamDescriptor[]): ConfiguredAirbyteCatalog {
  return {
    streams: streams.map((s) => {
      const incremental = s.supportedSyncModes.includes('incremental');
      return {
        stream: toAirbyteStream(s),
        sync_mode: incremental ? 'incremental' : 'full_refresh',
        destination_sync_mode: incremental ? 'append_dedup' : 'overwrite',
        ...(incremental && s.cursorField ? { cursor_field: [s.cursorField] } : {}),
        primary_key: s.primaryKey.map((k) => [k]),
      };
    }),
  };
}

export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `${what} file ${path} cannot be read (${code === 'ENOENT' ? 'no such file' : code})`,
      { code: 'TRB_CONFIG_MISSING', details: { path } },
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${what} file ${path} is not valid JSON: ${(err as Error).message}`, {
      details: { path },
    });
  }
}

export function loadConfiguredCatalog(path: string): ConfiguredAirbyteCatalog {
  return parseConfiguredCatalog(readJsonFile(path, 'catalog'), `catalog ${path}`);
}

/** Validate a ConfiguredAirbyteCatalog. Every problem names its path, e.g. `streams[2].sync_mode`. */
export function parseConfiguredCatalog(raw: unknown, where: string): ConfiguredAirbyteCatalog {
  const bad = (path: string, why: string): never => {
    throw new ConfigError(`${where}: ${path} ${why}`, { details: { field: path } });
  };
  if (!isObject(raw) || !Array.isArray(raw.streams))
    bad('streams', 'must be a list (a ConfiguredAirbyteCatalog is {"streams": [...]})');
  const streams: ConfiguredAirbyteStream[] = [];
  const seen = new Set<string>();
  for (const [i, entry] of ((raw as { streams: unknown[] }).streams ?? []).entries()) {
    const at = `streams[${i}]`;
    if (!isObject(entry)) return bad(at, 'must be an object');
    const s = entry.stream;
    if (!isObject(s) || typeof s.name !== 'string' || s.name === '')
      return bad(`${at}.stream.name`, 'must be a non-empty string');
    const name = s.name;
    if (s.namespace !== undefined && typeof s.namespace !== 'string')
      bad(`${at}.stream.namespace`, 'must be a string');
    const key = `${s.namespace ?? ''}\u0000${name}`;
    if (seen.has(key)) bad(`${at}.stream.name`, `"${name}" is configured twice`);
    seen.add(key);
    const syncMode = entry.sync_mode ?? 'full_refresh';
    if (!SYNC_MODES.includes(syncMode as AirbyteSyncMode))
      bad(`${at}.sync_mode`, `must be one of ${SYNC_MODES.join(', ')}, got ${JSON.stringify(syncMode)}`);
    const destMode = entry.destination_sync_mode ?? 'append';
    if (!DESTINATION_SYNC_MODES.includes(destMode as DestinationSyncMode))
      bad(
        `${at}.destination_sync_mode`,
        `must be one of ${DESTINATION_SYNC_MODES.join(', ')}, got ${JSON.stringify(destMode)}`,
      );
    const cursor = entry.cursor_field;
    if (cursor !== undefined && !isStringList(cursor)) bad(`${at}.cursor_field`, 'must be a list of strings');
    const pk = entry.primary_key;
    if (pk !== undefined && !isKeyPaths(pk))
      bad(`${at}.primary_key`, 'must be a list of field paths, e.g. [["id"]]');
    const sdpk = s.source_defined_primary_key;
    if (sdpk !== undefined && !isKeyPaths(sdpk))
      bad(`${at}.stream.source_defined_primary_key`, 'must be a list of field paths, e.g. [["id"]]');
    if (s.json_schema !== undefined && !isObject(s.json_schema))
      bad(`${at}.stream.json_schema`, 'must be a JSON Schema object');
    streams.push({
      ...(entry as object),
      stream: {
        ...(s as object),
        name,
        json_schema: (s.json_schema as Record<string, unknown> | undefined) ?? {},
        supported_sync_modes: Array.isArray(s.supported_sync_modes)
          ? (s.supported_sync_modes as AirbyteSyncMode[])
          : [syncMode as AirbyteSyncMode],
      },
      sync_mode: syncMode as AirbyteSyncMode,
      destination_sync_mode: destMode as DestinationSyncMode,
    } as ConfiguredAirbyteStream);
  }
  return { streams };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function isKeyPaths(v: unknown): v is string[][] {
  return Array.isArray(v) && v.every((p) => isStringList(p) && p.length > 0);
}
