/**
 * `tributary demo` (`npm run demo`): start the bundled simulators on free loopback ports, sync every connector
 * into its own file, ./tributary-demo.duckdb (never the default ./tributary.duckdb a real sync uses), print
 * the summary and a few rows per table. Run it again and it mutates the simulated data first (creates,
 * updates, deletes), then syncs again and shows what changed. It writes only into schemas it created
 * (see demo-ownership.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import pc from 'picocolors';
import { listConnectors } from '../connectors/registry.js';
import { ConfigError } from '../errors.js';
import type { SimulatorDemo, SimulatorFactory } from '../simulator/types.js';
import { intOption } from './common.js';
import { checkDemoSchema, claimDemoSchema } from './demo-ownership.js';
import { peekTables } from './demo-preview.js';
import { syncCommand } from './sync-command.js';

interface DemoOptions {
  destination?: string;
  records?: number;
  connectors?: string;
}

/** The demo's own file: a real sync's default (./tributary.duckdb) is never touched. */
export const DEMO_DESTINATION = 'duckdb:./tributary-demo.duckdb';

/** Up to this dataset size the header counts every record it will sync (counting materialises them). */
const COUNT_LIMIT = 100_000;

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'start the bundled simulators and sync them into a local DuckDB file, with progress and a summary',
    )
    .option(
      '-d, --destination <url>',
      'where to load; the demo writes only into schemas it created there',
      DEMO_DESTINATION,
    )
    .addOption(
      intOption(
        '--records <n>',
        "simulated dataset size per connector (its main stream's records; other streams scale with it)",
        10,
        1_000_000,
        5000,
      ),
    )
    .action(async (o: DemoOptions) => {
      process.exitCode = await runDemo(o);
    });
}

export async function runDemo(o: DemoOptions): Promise<number> {
  const { simulatorEntries } = await import('../simulator/registry.js');
  const destination = o.destination ?? DEMO_DESTINATION;
  if (/^(mysql|mariadb):\/\//i.test(destination)) {
    // The demo's own bookkeeping and preview read the destination with DuckDB/PostgreSQL SQL.
    throw new ConfigError(
      'the demo writes into DuckDB or PostgreSQL; to load into MySQL/MariaDB, run tributary sync with --destination mysql://…',
      { code: 'TRB_USAGE', details: { field: 'destination' } },
    );
  }
  const records = o.records ?? 5000;
  // Every connector whose simulator module says how to demo it, found by folder like the manifests.
  const demos = new Map<string, { start: SimulatorFactory; demo: SimulatorDemo }>();
  for (const name of listConnectors()) {
    const mod = await simulatorEntries.get(name)?.load();
    if (mod?.demo) demos.set(name, { start: mod.startSimulator, demo: mod.demo });
  }
  const names = [...demos.keys()];
  // Refuse before anything is written if any schema belongs to someone else.
  for (const name of names) await checkDemoSchema(destination, name);
  const dir = mkdtempSync(join(tmpdir(), 'tributary-demo-'));
  const say = (s: string) => process.stdout.write(`${s}\n`);
  let failed = false;
  try {
    for (const name of names) {
      const { start, demo } = demos.get(name)!;
      const sim = await start({
        port: 0,
        seed: 42,
        records,
        token: demo.token,
        rateLimitPerMinute: 0,
      });
      try {
        const schema = name;
        const run = await claimDemoSchema(destination, schema);
        const streams = sim.streams();
        const lines: string[] = [];
        if (run > 1) {
          // The simulator restarts from the same seed each time; mutate it so this sync has changes to find.
          const stream =
            demo.mutateStream !== undefined && streams.includes(demo.mutateStream)
              ? demo.mutateStream
              : streams[0]!;
          const m = sim.mutate({ creates: 5, updates: 20, deletes: 3, stream, seed: Date.now() % 100_000 });
          lines.push(
            `run ${run}: mutated ${stream} in the simulator: ${m.created.length} created, ${m.updated.length} updated, ${m.deleted.length} deleted`,
            demo.incremental !== undefined
              ? `running an incremental sync: only what changed since the cursor (${demo.incremental})…`
              : 'running a full refresh of every record (rows not seen are soft-deleted)…',
          );
        }
        // Counted after any mutation: the records the simulator serves now.
        const total =
          records <= COUNT_LIMIT ? streams.reduce((n, s) => n + sim.records(s).length, 0) : undefined;
        const size =
          total === undefined
            ? `dataset size ${records}`
            : `${total.toLocaleString('en-US')} records in ${streams.length} streams`;
        say(pc.bold(`\n== ${name}: simulator at ${sim.baseUrl} (${size}, seed 42) ==`));
        if (run === 1) {
          const all = total === undefined ? 'every record' : `all ${total.toLocaleString('en-US')} records`;
          lines.push(
            demo.incremental !== undefined
              ? `run 1: initial sync of ${all} (all history)…`
              : `run 1: full refresh of ${all}…`,
          );
        }
        for (const l of lines) say(l);
        const configPath = join(dir, `${name}.json`);
        writeFileSync(configPath, JSON.stringify(demo.config(sim.baseUrl)));
        const started = new Date();
        const summary = await syncCommand(name, { config: configPath, destination });
        failed ||= summary.status !== 'succeeded';
        say(`requests seen by the simulator: ${sim.requestCount()}`);
        const tables = await peekTables(destination, schema, started, 5, 3);
        for (const t of tables) {
          say(
            pc.bold(`\n${schema}.${t.table}`) +
              `: ${t.rows} rows, ${t.deleted} soft-deleted${run > 1 ? `, ${t.changedThisRun} written this run` : ''}`,
          );
          for (const r of t.sample) say(`  ${JSON.stringify(r)}`);
        }
      } finally {
        await sim.close();
      }
    }
    if (destination.startsWith('duckdb:')) {
      say(
        `\nData is in ${destination}. Try: tributary sql ${destination} "select * from humaans.documents limit 5"`,
      );
    } else {
      say(`\nData is in ${destination.replace(/:\/\/[^@/]*@/, '://***@')}, schemas ${names.join(', ')}.`);
    }
    say(
      `See the history with: tributary runs --destination ${destination.replace(/:\/\/[^@/]*@/, '://***@')}`,
    );
    say('Run `tributary demo` again: the simulators mutate their data and the next sync shows what changed.');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return failed ? 1 : 0;
}
