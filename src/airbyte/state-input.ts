/**
 * Reading the state a platform hands a source (`read --state F`). Airbyte has used three shapes over time,
 * and all are accepted:
 *   - per-stream: a list of `{"type":"STREAM","stream":{"stream_descriptor":…,"stream_state":…}}`
 *   - global: `{"type":"GLOBAL","global":{"shared_state":…,"stream_states":[…]}}` (stream_states are used)
 *   - legacy: `{"type":"LEGACY","data":{…}}`, a message without a type, or a bare `{stream: state}` object
 * A list may also hold whole `{"type":"STATE","state":…}` messages (what a destination echoes).
 */
import { ConfigError } from '../errors.js';
import { parseStoredState, type StoredStreamState, type SyncMode } from '../engine/index.js';
import { readJsonFile } from './catalog.js';

/** Stream name → the stream_state blob it had. */
export type IncomingState = Map<string, Record<string, unknown>>;

export function loadIncomingState(path: string): IncomingState {
  return parseIncomingState(readJsonFile(path, 'state'), `state ${path}`);
}

export function parseIncomingState(raw: unknown, where: string): IncomingState {
  const out: IncomingState = new Map();
  const bad = (why: string): never => {
    throw new ConfigError(`${where}: ${why}`, { details: { field: 'state' } });
  };
  if (raw === null || raw === undefined) return out;
  const messages: unknown[] = Array.isArray(raw) ? raw : [raw];
  for (const [i, entry] of messages.entries()) {
    const at = Array.isArray(raw) ? `[${i}]` : 'the state';
    if (!isObject(entry)) return bad(`${at} must be an object`);
    let msg = entry;
    if (msg.type === 'STATE') {
      if (!isObject(msg.state)) return bad(`${at} is a STATE message without a "state" object`);
      msg = msg.state;
    }
    const type = msg.type;
    if (type === 'STREAM') {
      addStreamState(out, msg.stream, `${at}.stream`, bad);
    } else if (type === 'GLOBAL') {
      const g = msg.global;
      if (!isObject(g) || !Array.isArray(g.stream_states))
        return bad(`${at}.global.stream_states must be a list`);
      for (const [j, s] of g.stream_states.entries())
        addStreamState(out, s, `${at}.global.stream_states[${j}]`, bad);
    } else if (
      type === 'LEGACY' ||
      (type === undefined && isObject(msg.data) && Object.keys(msg).length <= 3)
    ) {
      if (!isObject(msg.data)) return bad(`${at}.data must be an object`);
      addLegacy(out, msg.data, `${at}.data`, bad);
    } else if (type === undefined && !Array.isArray(raw)) {
      // A bare legacy blob: {"people": {...}, "companies": {...}}.
      addLegacy(out, msg, at, bad);
    } else {
      bad(`${at} has unknown state type ${JSON.stringify(type)} (expected STREAM, GLOBAL or LEGACY)`);
    }
  }
  return out;
}

function addStreamState(out: IncomingState, s: unknown, at: string, bad: (why: string) => never): void {
  if (!isObject(s) || !isObject(s.stream_descriptor) || typeof s.stream_descriptor.name !== 'string')
    bad(`${at}.stream_descriptor.name must be a string`);
  const st = s as { stream_descriptor: { name: string }; stream_state?: unknown };
  if (st.stream_state === undefined || st.stream_state === null) return;
  if (!isObject(st.stream_state)) bad(`${at}.stream_state must be an object`);
  out.set(st.stream_descriptor.name, st.stream_state as Record<string, unknown>);
}

function addLegacy(
  out: IncomingState,
  data: Record<string, unknown>,
  at: string,
  bad: (why: string) => never,
): void {
  for (const [name, v] of Object.entries(data)) {
    if (v === null || v === undefined) continue;
    if (!isObject(v)) bad(`${at}.${name} must be an object (the state of stream "${name}")`);
    out.set(name, v as Record<string, unknown>);
  }
}

/**
 * A stream_state as our stored state. tributary emits StoredStreamState blobs, so they round-trip exactly.
 * A foreign blob (a bare checkpoint such as `{"cursor": "2024-05-01T00:00:00Z"}`) is taken as the source
 * checkpoint of a completed read: an incremental read continues from its cursor, a full refresh starts over.
 */
export function toStoredState(
  blob: Record<string, unknown> | undefined,
  mode: SyncMode,
): StoredStreamState | undefined {
  if (blob === undefined) return undefined;
  return parseStoredState(blob) ?? { version: 1, mode, source: blob, complete: true };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
