/**
 * PostgreSQL's upsert role (sql/dialect.ts): the staging table COPY fills, and the statements that merge it
 * into the stream table (INSERT … ON CONFLICT DO UPDATE) or leave unchanged rows in place.
 */
import { SYSTEM_COLUMNS } from '../destination.js';
import type { DialectUpsert, StagedColumn } from '../sql/dialect.js';
import { ORDINAL_COLUMN } from './postgres-copy.js';
import { quoteIdent, quoteLiteral, sqlValue } from './postgres-sql.js';
import { PG_TYPE } from './postgres-types.js';

/** The batch's staging table: per session, dropped at commit at the latest. */
export const STAGE_TABLE = 'pg_temp."_tributary_stage"';

/** CREATE the staging table: the ordinal column (later rows win), then the batch's columns as the target types them. */
export function stageTableSql(columns: readonly StagedColumn[]): string {
  const defs = [
    `${quoteIdent(ORDINAL_COLUMN)} bigint`,
    ...columns.map((c) => `${quoteIdent(c.name)} ${PG_TYPE[c.type]}`),
  ];
  return `CREATE TEMP TABLE ${STAGE_TABLE} (${defs.join(', ')}) ON COMMIT DROP`;
}

function passLiteral(passId: string | null): string {
  return passId === null ? 'NULL::text' : `${quoteLiteral(passId)}::text`;
}

export const postgresUpsert: DialectUpsert = {
  /**
   * INSERT … SELECT DISTINCT ON (pk) … ON CONFLICT DO UPDATE from the staging table; the last row of a key
   * wins. Columns the batch lacks keep their stored values.
   */
  upsertSql(m) {
    const cols = m.columns.map(quoteIdent);
    const system = [SYSTEM_COLUMNS.syncedAt, SYSTEM_COLUMNS.deleted, SYSTEM_COLUMNS.pass].map(quoteIdent);
    const insert = `INSERT INTO ${m.target} (${[...cols, ...system].join(', ')})`;
    const values = `${[...cols, sqlValue(m.syncedAt), 'false', passLiteral(m.passId)].join(', ')}`;
    const ord = quoteIdent(ORDINAL_COLUMN);
    if (m.primaryKey.length === 0) return [`${insert} SELECT ${values} FROM ${m.source} ORDER BY ${ord}`];
    const keys = m.primaryKey.map(quoteIdent);
    const pk = keys.join(', ');
    const updates = [...cols, ...system].filter((c) => !keys.includes(c)).map((c) => `${c} = EXCLUDED.${c}`);
    const by = m.unchangedBy === undefined ? undefined : quoteIdent(m.unchangedBy);
    return [
      `${insert} SELECT DISTINCT ON (${pk}) ${values} FROM ${m.source} ORDER BY ${pk}, ${ord} DESC ` +
        `ON CONFLICT (${pk}) DO UPDATE SET ${updates.join(', ')}` +
        (by
          ? ` WHERE ${m.target}.${by} IS DISTINCT FROM EXCLUDED.${by} OR ${m.target}.${quoteIdent(SYSTEM_COLUMNS.deleted)}`
          : ''),
    ];
  },

  /** Mark stored rows whose `unchangedBy` value equals the staged one as seen by this pass, without rewriting them. */
  touchUnchangedSql(m) {
    const pk = m.primaryKey.map(quoteIdent);
    const by = quoteIdent(m.unchangedBy);
    const ord = quoteIdent(ORDINAL_COLUMN);
    const staged = `SELECT DISTINCT ON (${pk.join(', ')}) ${[...pk, by].join(', ')} FROM ${m.source} ORDER BY ${pk.join(', ')}, ${ord} DESC`;
    const join = pk.map((c) => `t.${c} = s.${c}`).join(' AND ');
    return (
      `UPDATE ${m.target} AS t SET ${quoteIdent(SYSTEM_COLUMNS.pass)} = ${passLiteral(m.passId)} FROM (${staged}) AS s ` +
      `WHERE ${join} AND t.${by} IS NOT DISTINCT FROM s.${by} AND NOT t.${quoteIdent(SYSTEM_COLUMNS.deleted)}`
    );
  },
};
