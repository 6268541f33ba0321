/** `tributary state show|reset <connector>`: inspect or clear the per-stream state stored in the destination. */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { openDestinationReader } from '../destinations/create-destination.js';
import { ConfigError } from '../errors.js';
import { resetStreamState } from '../cluster/reset-state.js';
import { parseList } from './common.js';
import {
  checkStreamNames,
  describePosition,
  type InspectOptions,
  resolveInspectTarget,
  selectNamespaces,
  withConnectionOptions,
  withInspectOptions,
} from './inspect.js';
import { formatTime, textTable } from './text-table.js';

interface StateOptions extends InspectOptions {
  streams?: string;
  json?: boolean;
  yes?: boolean;
}

export function registerState(program: Command): void {
  const state = program
    .command('state')
    .description('show or reset the per-stream state (cursors, full-refresh passes) kept in the destination');
  withInspectOptions(
    withConnectionOptions(
      state
        .command('show')
        .description('show where the next sync of each stream starts, and when its state was last saved')
        .argument('[connector]', 'connector name (see `tributary connectors`); omit with --connection'),
    ),
  )
    .option('--streams <list>', 'comma-separated streams to show (default: all)')
    .option('--json', 'print the stored state as JSON: {stream: {state, updatedAt}}', false)
    .action(async (connector: string | undefined, o: StateOptions) => {
      process.stdout.write(await stateShow(connector, o));
    });
  withInspectOptions(
    withConnectionOptions(
      state
        .command('reset')
        .description(
          'forget the stored state, so the next sync reads the streams from the start (rows are kept)',
        )
        .argument('[connector]', 'connector name (see `tributary connectors`); omit with --connection'),
    ),
  )
    .option('--streams <list>', 'comma-separated streams to reset (default: all)')
    .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)', false)
    .action(async (connector: string | undefined, o: StateOptions) => {
      await stateReset(connector, o);
    });
}

async function stateShow(connectorArg: string | undefined, o: StateOptions): Promise<string> {
  const target = await resolveInspectTarget(connectorArg, o, 'state show');
  const connectorName = target.connectorName as string;
  const declared = target.connector?.manifest.streams.map((s) => s.name);
  // A bundled connector's stream names are checked before anything is opened.
  if (declared) checkStreamNames(connectorName, declared, parseList(o.streams));
  const reader = await openDestinationReader(target.spec);
  try {
    const [namespace] = await selectNamespaces(reader, target.namespace, target.unknownConnector);
    const stored = await reader.readStateRows(namespace!);
    const known = declared ?? stored.map((r) => r.stream);
    const streams = checkStreamNames(connectorName, known, parseList(o.streams));
    const rows = stored.filter((r) => streams === undefined || streams.includes(r.stream));
    if (o.json) {
      const out: Record<string, unknown> = {};
      for (const r of rows) out[r.stream] = { state: r.state, updatedAt: r.updatedAt.toISOString() };
      return `${JSON.stringify(out, null, 2)}\n`;
    }
    const byStream = new Map(rows.map((r) => [r.stream, r]));
    const names = streams ?? known;
    const table = names.map((name) => {
      const r = byStream.get(name);
      if (r === undefined) return [name, '—', '—', '—', describePosition(undefined)];
      return [
        name,
        String(r.state.mode ?? '?'),
        r.state.complete === true ? 'yes' : 'no (resumes)',
        formatTime(r.updatedAt),
        describePosition(r.state),
      ];
    });
    return `state of ${connectorName} in ${reader.description} (schema ${namespace})\n\n${textTable(
      ['stream', 'mode', 'complete', 'last saved', 'next sync starts at'],
      table,
    )}\n`;
  } finally {
    await reader.close();
  }
}

async function stateReset(connectorArg: string | undefined, o: StateOptions): Promise<void> {
  const target = await resolveInspectTarget(connectorArg, o, 'state reset');
  const connectorName = target.connectorName as string;
  const declared = target.connector?.manifest.streams.map((s) => s.name);
  if (declared) checkStreamNames(connectorName, declared, parseList(o.streams));
  // Read first, through a reader that creates nothing: a typo in --destination must not make a database.
  const reader = await openDestinationReader(target.spec);
  let namespace: string;
  let held: string[];
  let streams: string[] | undefined;
  try {
    [namespace] = (await selectNamespaces(reader, target.namespace, target.unknownConnector)) as [string];
    const stored = (await reader.readStateRows(namespace)).map((r) => r.stream);
    streams = checkStreamNames(connectorName, declared ?? stored, parseList(o.streams));
    held = stored.filter((s) => streams === undefined || streams.includes(s));
  } finally {
    await reader.close();
  }
  const where = `${connectorName} in ${reader.description} (schema ${namespace})`;
  if (held.length === 0) {
    const which = streams ? `streams ${streams.join(', ')}` : 'any stream';
    process.stdout.write(`no state stored for ${which} of ${where}; nothing to reset\n`);
    return;
  }
  if (!o.yes) {
    if (!process.stdin.isTTY) {
      throw new ConfigError(
        `state reset would make the next sync re-read ${held.join(', ')} of ${where} from the start; pass --yes to confirm (there is no terminal to ask on)`,
        { code: 'TRB_USAGE' },
      );
    }
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl
      .question(`Reset the state of ${held.join(', ')} of ${where}? The next sync re-reads them. [y/N] `)
      .finally(() => rl.close());
    if (!/^y(es)?$/i.test(answer.trim())) {
      process.stdout.write('state reset cancelled; nothing changed\n');
      return;
    }
  }
  await resetStreamState(
    { spec: target.spec, connector: connectorName, namespace, owner: { connection: target.connection } },
    held,
  );
  process.stdout.write(
    `state reset for ${held.join(', ')} of ${where}; the next sync reads them from the start\n`,
  );
}
