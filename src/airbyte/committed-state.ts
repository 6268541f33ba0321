/**
 * The Airbyte state that matches what a destination holds: read from `_tributary_state`, where the loader
 * commits each STATE with the records it covers. Handing it to the source's next `read --state` resumes
 * exactly after the committed records, whatever happened to the echoed STATE lines.
 */
import type { StreamState } from '../destinations/destination.js';
import { parseStoredState } from '../engine/index.js';
import type { AirbyteStateMessage } from './protocol.js';
import type { LoaderCheckpoint } from './stream-load.js';

/** A state file for `airbyte read --state`: per-stream states, or the newest GLOBAL/LEGACY one. */
export function committedAirbyteState(states: Record<string, StreamState>): AirbyteStateMessage[] {
  const perStream: AirbyteStateMessage[] = [];
  let newestGlobal: { seq: number; state: AirbyteStateMessage } | undefined;
  for (const name of Object.keys(states).sort()) {
    const source = parseStoredState(states[name])?.source as LoaderCheckpoint | undefined;
    const msg = source?.airbyte as AirbyteStateMessage | undefined;
    if (!msg || typeof msg !== 'object') continue;
    if (msg.type === 'STREAM') perStream.push(msg);
    else {
      const seq = Number(source?.airbyte_seq ?? 0);
      if (!newestGlobal || seq > newestGlobal.seq) newestGlobal = { seq, state: msg };
    }
  }
  return newestGlobal ? [...perStream, newestGlobal.state] : perStream;
}
