import { describe, expect, it } from 'vitest';
import { decideOwnership, type NamespaceEvidence } from '../../src/destinations/namespace-owner.js';
import { ConfigError } from '../../src/errors.js';

const empty: NamespaceEvidence = { owner: undefined, runConnectors: [], streams: [] };
const where = 'namespace "hr" in duckdb:./x.duckdb';

function refusal(evidence: NamespaceEvidence, me: Parameters<typeof decideOwnership>[1]): ConfigError {
  try {
    decideOwnership(evidence, me, where);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('TRB_NAMESPACE_OWNED');
    return err as ConfigError;
  }
  throw new Error('expected a refusal');
}

describe('decideOwnership', () => {
  it('claims a new namespace, keeps its own, and names an unnamed owner', () => {
    expect(decideOwnership(empty, { connector: 'humaans' }, where)).toBe('claim');
    const owned = { ...empty, owner: { connector: 'humaans', connection: null } };
    expect(decideOwnership(owned, { connector: 'humaans' }, where)).toBe('keep');
    expect(decideOwnership(owned, { connector: 'humaans', connection: 'prod' }, where)).toBe('name');
    const named = { ...empty, owner: { connector: 'humaans', connection: 'prod' } };
    expect(decideOwnership(named, { connector: 'humaans', connection: 'prod' }, where)).toBe('keep');
  });

  it('refuses another connector, another connection name, or none once named', () => {
    const owned = { ...empty, owner: { connector: 'humaans', connection: 'prod' } };
    expect(refusal(owned, { connector: 'hellobaton' }).message).toBe(
      'namespace "hr" in duckdb:./x.duckdb belongs to another connection: it is owned by connector "humaans" ' +
        '(connection "prod"), not connector "hellobaton". Nothing was read or written. Give this connection its ' +
        "own schema (--namespace, or `schema:` in the destination config), or point it at the owner's.",
    );
    expect(refusal(owned, { connector: 'humaans', connection: 'dev' }).details).toMatchObject({
      owner: 'humaans',
      ownerConnection: 'prod',
      connection: 'dev',
    });
    refusal(owned, { connector: 'humaans' });
  });

  it('an unowned namespace with another connector runs or streams is not claimed', () => {
    expect(
      refusal({ ...empty, runConnectors: ['humaans', 'x'] }, { connector: 'humaans' }).message,
    ).toContain('it holds runs of connector "x"');
    const legacy = { ...empty, runConnectors: ['humaans'], streams: ['people', 'people', 'documents'] };
    expect(decideOwnership(legacy, { connector: 'humaans', streams: ['people', 'documents'] }, where)).toBe(
      'claim',
    );
    expect(refusal(legacy, { connector: 'humaans', streams: ['people'] }).message).toContain(
      'it holds tables or state of stream "documents", which connector "humaans" does not have',
    );
    // Without a stream list, only runs and the owner row decide.
    expect(decideOwnership(legacy, { connector: 'humaans' }, where)).toBe('claim');
  });
});
