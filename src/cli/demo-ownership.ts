/**
 * The demo owns its data: it writes only into schemas it created, marked by a `_tributary_demo` table, so
 * pointing it at a database with real data (the same file or schema a real sync uses) changes nothing there.
 * The marker also numbers the demo's runs (run N is the Nth sync recorded in that schema).
 */
import { ConfigError } from '../errors.js';
import { connect, type Query } from './demo-preview.js';

const MARKER = '_tributary_demo';

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

export type DemoSchema = { state: 'absent' } | { state: 'ours'; runs: number };

/** Whether the demo may write into `schema` of `destination`; throws when the schema is someone else's. */
export async function checkDemoSchema(destination: string, schema: string): Promise<DemoSchema> {
  const { query, close } = await connect(destination);
  try {
    return await inspect(query, destination, schema);
  } finally {
    await close();
  }
}

/** Create the schema and its marker (in one transaction) if absent; returns the number of this run. */
export async function claimDemoSchema(destination: string, schema: string): Promise<number> {
  const { query, close } = await connect(destination);
  try {
    const found = await inspect(query, destination, schema);
    if (found.state === 'ours') return found.runs + 1;
    await query('BEGIN');
    await query(`CREATE SCHEMA ${ident(schema)}`);
    await query(
      `CREATE TABLE ${ident(schema)}.${ident(MARKER)} (created_at TIMESTAMPTZ NOT NULL, note VARCHAR)`,
    );
    await query(
      `INSERT INTO ${ident(schema)}.${ident(MARKER)} VALUES (now(), ${literal('created by tributary demo; the demo writes only into schemas with this table')})`,
    );
    await query('COMMIT');
    return 1;
  } finally {
    await close();
  }
}

async function inspect(query: Query, destination: string, schema: string): Promise<DemoSchema> {
  const schemas = await query(
    `SELECT schema_name FROM information_schema.schemata WHERE schema_name = ${literal(schema)}`,
  );
  if (schemas.length === 0) return { state: 'absent' };
  const tables = (
    await query(`SELECT table_name FROM information_schema.tables WHERE table_schema = ${literal(schema)}`)
  ).map((r) => String(r.table_name));
  if (!tables.includes(MARKER)) {
    throw new ConfigError(
      `schema "${schema}" in ${destination.replace(/:\/\/[^@/]*@/, '://***@')} was not created by the demo, ` +
        'and the demo writes only into schemas it created. Point it elsewhere: ' +
        'tributary demo --destination duckdb:./another-demo.duckdb (the default is duckdb:./tributary-demo.duckdb)',
      { code: 'TRB_NAMESPACE_OWNED', details: { schema } },
    );
  }
  const runs = tables.includes('_tributary_runs')
    ? Number(
        (await query(`SELECT count(*) AS n FROM ${ident(schema)}.${ident('_tributary_runs')}`))[0]?.n ?? 0,
      )
    : 0;
  return { state: 'ours', runs };
}
