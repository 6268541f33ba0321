/**
 * Opening a DuckDB file, with errors that say what is wrong: a path that cannot be written is
 * TRB_DEST_OPEN, a file another process holds is TRB_DEST_LOCKED (exit codes 2 and 3, see EXIT_CODES in src/errors.ts).
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DestinationError } from '../../errors.js';

/** Files this process has open. DuckDB's file lock is per process, so it would let us open one twice. */
const openInThisProcess = new Set<string>();

function openError(path: string, reason: string, cause?: unknown): DestinationError {
  return new DestinationError('TRB_DEST_OPEN', `Cannot open DuckDB file ${path}: ${reason}`, {
    details: { path },
    cause,
  });
}

/** The reason DuckDB gave, without its error-class prefix ("IO Error: …"). */
function duckDbReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^[A-Za-z ]+ Error: /, '').split('\n')[0]!;
}

/** Refuse paths DuckDB could not write, with a reason that names the path and the problem. */
function checkPath(path: string, absolute: string): void {
  const stat = statSync(absolute, { throwIfNoEntry: false });
  if (stat?.isDirectory()) throw openError(path, 'it is a directory, not a file');
  if (stat === undefined) {
    const parent = dirname(absolute);
    const parentStat = statSync(parent, { throwIfNoEntry: false });
    if (parentStat === undefined) throw openError(path, `directory ${parent} does not exist`);
    if (!parentStat.isDirectory()) throw openError(path, `${parent} is not a directory`);
    try {
      accessSync(parent, constants.W_OK);
    } catch (err) {
      throw openError(path, `directory ${parent} is not writable`, err);
    }
    return;
  }
  try {
    accessSync(absolute, constants.R_OK | constants.W_OK);
  } catch (err) {
    throw openError(path, 'the file is not writable (read-only or permission denied)', err);
  }
}

/** A DuckDB database opened for writing by this process, released by `close`. */
export interface OpenedDuckDb {
  instance: DuckDBInstance;
  close(): void;
}

/**
 * Open (creating if needed) the DuckDB file at `path`, or `:memory:`. `config` is DuckDB configuration
 * (https://duckdb.org/docs/stable/configuration/overview), e.g. `{ checkpoint_threshold: '256MB' }`.
 */
export async function openDuckDb(path: string, config: Record<string, string>): Promise<OpenedDuckDb> {
  const memory = path === ':memory:';
  const absolute = memory ? path : resolve(path);
  if (!memory) {
    checkPath(path, absolute);
    if (openInThisProcess.has(absolute)) {
      throw new DestinationError(
        'TRB_DEST_LOCKED',
        `DuckDB file ${path} is already open in this process (pid ${process.pid}); close the other destination first`,
        { details: { path, pid: process.pid } },
      );
    }
    // Claimed before the await, so two concurrent opens of one file cannot both pass the check.
    openInThisProcess.add(absolute);
  }
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path, config);
  } catch (err) {
    if (!memory) openInThisProcess.delete(absolute);
    const message = err instanceof Error ? err.message : String(err);
    if (/Could not set lock on file/i.test(message)) {
      const pid = /\bPID (\d+)/i.exec(message)?.[1];
      throw new DestinationError(
        'TRB_DEST_LOCKED',
        `DuckDB file ${path} is locked by another process${pid ? ` (pid ${pid})` : ''}: DuckDB allows one writing ` +
          'process per file. Wait for that process to finish or stop it, or write to another file.',
        { details: { path, ...(pid ? { pid: Number(pid) } : {}) }, cause: err },
      );
    }
    throw openError(path, duckDbReason(err), err);
  }
  let closed = false;
  return {
    instance,
    close() {
      if (closed) return;
      closed = true;
      if (!memory) openInThisProcess.delete(absolute);
      instance.closeSync();
    },
  };
}
