/**
 * `tributary demo` (`npm run demo`): start the bundled simulators on free loopback ports, sync every connector
 * into ./tributary.duckdb, print the summary and a few rows per table. Run it again and it mutates the
 * simulated data first (creates, updates, deletes), then syncs again and shows what changed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import pc from 'picocolors';
import { listConnectors } from '../connectors/registry.js';
import { DEFAULT_DESTINATION } from '../destinations/create-destination.js';
import { parseIntOption } from './common.js';
import { peekTables } from './demo-preview.js';
import { syncCommand } from './sync-command.js';

interface DemoOptions {
  destination?: string;
  records?: number;
  connectors?: string;
}

/** What each simulator needs in its connector config, and a token it accepts. */
const DEMO_CONFIGS: Record<string, (baseUrl: string) => Record<string, unknown>> = {
  humaans: (baseUrl) => ({
    api_token: 'demo-humaans-token',
    base_url: baseUrl,
    initial_sync_days: 0,
    max_records_per_page: 250,
  }),
  hellobaton: (baseUrl) => ({ api_key: 'demo-hellobaton-key', company: 'demo', base_url: baseUrl }),
};
const DEMO_TOKENS: Record<string, string> = {
  humaans: 'demo-humaans-token',
  hellobaton: 'demo-hellobaton-key',
};

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'start the bundled simulators and sync them into a local DuckDB file, with progress and a summary',
    )
    .option('-d, --destination <url>', 'where to load (default duckdb:./tributary.duckdb)')
    .option(
      '--records <n>',
      'simulated dataset size per connector',
      parseIntOption('--records', 10, 1_000_000),
      5000,
    )
    .action(async (o: DemoOptions) => {
      process.exitCode = await runDemo(o);
    });
}

export async function runDemo(o: DemoOptions): Promise<number> {
  const { simulators } = await import('../simulator/registry.js');
  const destination = o.destination ?? DEFAULT_DESTINATION;
  const names = listConnectors().filter((n) => n in simulators && n in DEMO_CONFIGS);
  const dir = mkdtempSync(join(tmpdir(), 'tributary-demo-'));
  const say = (s: string) => process.stdout.write(`${s}\n`);
  let failed = false;
  try {
    for (const name of names) {
      const sim = await simulators[name]!({
        port: 0,
        seed: 42,
        records: o.records,
        token: DEMO_TOKENS[name],
        rateLimitPerMinute: 0,
      });
      try {
        const schema = name;
        const previous = await peekTables(destination, schema, new Date(0), 0, 0).catch(() => []);
        const rerun = previous.some((t) => t.rows > 0);
        say(pc.bold(`\n== ${name}: simulator at ${sim.baseUrl} (${o.records} records, seed 42) ==`));
        if (rerun) {
          // The simulator restarts from the same seed each time; mutate it so this sync has changes to find.
          const stream =
            sim.streams()[name === 'humaans' ? sim.streams().indexOf('documents') : 0] ?? sim.streams()[0]!;
          const m = sim.mutate({ creates: 5, updates: 20, deletes: 3, stream, seed: Date.now() % 100_000 });
          say(
            `second run: mutated ${stream} in the simulator: ${m.created.length} created, ${m.updated.length} updated, ${m.deleted.length} deleted`,
          );
          say(
            name === 'humaans'
              ? 'running an incremental sync (updatedAt cursor, 5-minute lookback)…'
              : 'running a full refresh (rows not seen are soft-deleted)…',
          );
        } else {
          say(
            name === 'humaans'
              ? 'first run: initial sync of all history…'
              : 'first run: full refresh of every stream…',
          );
        }
        const configPath = join(dir, `${name}.json`);
        writeFileSync(configPath, JSON.stringify(DEMO_CONFIGS[name]!(sim.baseUrl)));
        const started = new Date();
        const run = await syncCommand(name, { config: configPath, destination });
        failed ||= run.status !== 'succeeded';
        say(`requests seen by the simulator: ${sim.requestCount()}`);
        const tables = await peekTables(destination, schema, started, 5, 3);
        for (const t of tables) {
          say(
            pc.bold(`\n${schema}.${t.table}`) +
              `: ${t.rows} rows, ${t.deleted} soft-deleted${rerun ? `, ${t.changedThisRun} written this run` : ''}`,
          );
          for (const r of t.sample) say(`  ${JSON.stringify(r)}`);
        }
      } finally {
        await sim.close();
      }
    }
    say(
      `\nData is in ${destination}. Try: duckdb ${destination.replace(/^duckdb:/, '')} "select * from humaans.documents limit 5"`,
    );
    say('Run `npm run demo` again: the simulators mutate their data and the next sync shows what changed.');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return failed ? 1 : 0;
}
