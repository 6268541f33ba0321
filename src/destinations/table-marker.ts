/**
 * The comment tributary writes on every table it creates, in every destination: it marks the table as
 * ours (so replace mode never drops a table a user made) and, for replace side tables, names the pass.
 */

/** Prefix of the table comment that marks a table tributary created (followed by JSON). */
export const OWNED_MARKER = 'tributary:';

/** What the comment of a tributary table records. */
export interface TableMarker {
  stream: string;
  /** For replace side tables: the full-refresh pass whose rows the table holds. */
  pass?: string | null;
}

export function markerComment(marker: TableMarker): string {
  return `${OWNED_MARKER}${JSON.stringify(marker)}`;
}

/** The marker in a table comment, or undefined when the table is not tributary's. */
export function readMarker(comment: string | null | undefined): TableMarker | undefined {
  if (typeof comment !== 'string' || !comment.startsWith(OWNED_MARKER)) return undefined;
  try {
    return JSON.parse(comment.slice(OWNED_MARKER.length)) as TableMarker;
  } catch {
    return undefined;
  }
}
