/**
 * Forgetting streams' state, so their next sync reads them from the start (rows are kept): the one code path
 * of `tributary state reset` (cli/state-command.ts) and of a `run --reset-state` job, which a worker runs
 * under the connection's lease and fence, so it waits for a running sync of the connection and never
 * interleaves with one.
 */
import { openDestination } from '../cli/common.js';
import type { DestinationSpec } from '../destinations/create-destination.js';
import { openDestinationReader } from '../destinations/create-destination.js';
import type { DestinationOptions } from '../destinations/destination.js';

export interface StateResetTarget {
  spec: DestinationSpec;
  connector: string;
  /** The destination schema of the connection. */
  namespace: string;
  /** For the namespace's owner check, and from a worker the fencing token. */
  owner?: Pick<DestinationOptions, 'connection' | 'fence' | 'streams'>;
}

/**
 * Which of `streams` (undefined: every stream) have state stored in the namespace. Read through a reader that
 * creates nothing: a typo in a destination must not make a database.
 */
export async function streamsWithState(
  spec: Pick<DestinationSpec, 'url' | 'password'>,
  namespace: string,
  streams: string[] | undefined,
): Promise<string[]> {
  const reader = await openDestinationReader(spec);
  try {
    const stored = (await reader.readStateRows(namespace)).map((r) => r.stream);
    return stored.filter((s) => streams === undefined || streams.includes(s));
  } finally {
    await reader.close();
  }
}

/** Delete the stored state of `streams` in one destination transaction (fenced when a token is given). */
export async function resetStreamState(target: StateResetTarget, streams: string[]): Promise<void> {
  const dest = await openDestination(
    target.spec.url,
    target.spec,
    target.connector,
    target.namespace,
    target.owner ?? {},
  );
  try {
    await dest.resetState(streams);
  } finally {
    await dest.close();
  }
}
