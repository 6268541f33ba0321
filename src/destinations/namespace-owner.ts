/**
 * One namespace belongs to one connection. Each namespace records its owner in `_tributary_owner` (one row:
 * connector, connection name if one was given, when it was claimed); a destination opened for another
 * connection is refused before it reads or writes anything of the namespace, on every destination.
 *
 * A namespace without an owner row (made before owners were recorded, or new) is claimed by the connector
 * that opens it, unless it holds evidence of another connector: runs recorded by another connector, or
 * stream tables or state of streams this connector does not have.
 */
import { ConfigError } from '../errors.js';

/** Who owns a namespace. `connection` is null when the owner gave no connection name. */
export interface NamespaceOwner {
  connector: string;
  connection: string | null;
}

/** The connection opening the namespace. */
export interface Claimant {
  connector: string;
  connection?: string;
  /** The connector's stream names, when known: tables or state of other streams are another connector's. */
  streams?: readonly string[];
}

/** What a namespace holds that says whose it is. */
export interface NamespaceEvidence {
  /** The `_tributary_owner` row, if there is one. */
  owner: NamespaceOwner | undefined;
  /** Distinct connectors of `_tributary_runs`. */
  runConnectors: readonly string[];
  /** Streams named by tributary's table markers, and by `_tributary_state` rows. */
  streams: readonly string[];
}

/** `keep`: owned by this connection already; `claim`: record it as the owner; `name`: add its connection name. */
export type OwnershipAction = 'keep' | 'claim' | 'name';

function describeOwner(owner: NamespaceOwner): string {
  return `connector "${owner.connector}"${owner.connection === null ? '' : ` (connection "${owner.connection}")`}`;
}

function describeClaimant(me: Claimant): string {
  return `connector "${me.connector}"${me.connection === undefined ? '' : ` (connection "${me.connection}")`}`;
}

/**
 * Decide whether `me` may use the namespace; throws ConfigError TRB_NAMESPACE_OWNED (exit 2) when it belongs
 * to another connection. `where` names the namespace and destination for the message.
 */
export function decideOwnership(evidence: NamespaceEvidence, me: Claimant, where: string): OwnershipAction {
  const advice =
    'Nothing was read or written. Give this connection its own schema (--namespace, or `schema:` in the ' +
    "destination config), or point it at the owner's.";
  const refuse = (why: string, details: Record<string, unknown>) =>
    new ConfigError(`${where} belongs to another connection: ${why}. ${advice}`, {
      code: 'TRB_NAMESPACE_OWNED',
      details: {
        ...details,
        connector: me.connector,
        ...(me.connection ? { connection: me.connection } : {}),
      },
    });
  const { owner } = evidence;
  if (owner !== undefined) {
    const differs =
      owner.connector !== me.connector || (owner.connection !== null && owner.connection !== me.connection);
    if (differs) {
      throw refuse(`it is owned by ${describeOwner(owner)}, not ${describeClaimant(me)}`, {
        owner: owner.connector,
        ownerConnection: owner.connection,
      });
    }
    return owner.connection === null && me.connection !== undefined ? 'name' : 'keep';
  }
  const otherConnectors = evidence.runConnectors.filter((c) => c !== me.connector);
  if (otherConnectors.length > 0) {
    throw refuse(
      `it holds runs of connector${otherConnectors.length > 1 ? 's' : ''} ${otherConnectors.map((c) => `"${c}"`).join(', ')}, so ${describeClaimant(me)} may not claim it`,
      { runConnectors: otherConnectors },
    );
  }
  if (me.streams !== undefined) {
    const known = new Set(me.streams);
    const foreign = [...new Set(evidence.streams)].filter((s) => !known.has(s)).sort();
    if (foreign.length > 0) {
      throw refuse(
        `it holds tables or state of stream${foreign.length > 1 ? 's' : ''} ${foreign.map((s) => `"${s}"`).join(', ')}, which ${describeClaimant(me)} does not have`,
        { foreignStreams: foreign },
      );
    }
  }
  return 'claim';
}
