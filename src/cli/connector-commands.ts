/** `connectors`, `spec`, `check` and `discover`: what a connector offers and whether a config works. */
import type { Command } from 'commander';
import { configJsonSchema } from '../declarative/config-spec.js';
import { listConnectors, loadConnector } from '../connectors/registry.js';
import { ConfigError } from '../errors.js';
import {
  buildSource,
  CONNECTOR_ARG_HELP,
  CONNECTOR_FLAG,
  connectorRef,
  intOption,
  makeLogger,
  parseList,
  prepareConnector,
} from './common.js';
import { describeWritten, writeInferredSchemas } from './write-schemas.js';

/** The connector of a command that needs one, from its argument or `--connector`. */
function required(argument: string | undefined, o: { connector?: string }, command: string): string {
  const ref = connectorRef(argument, o.connector);
  if (ref === undefined) {
    throw new ConfigError(`tributary ${command} needs a connector: a bundled name or a folder path`, {
      code: 'TRB_USAGE',
    });
  }
  return ref;
}

export function registerConnectorCommands(program: Command): void {
  program
    .command('connectors')
    .description('list the bundled connectors and their streams')
    .option('--json', 'print as JSON instead of one line per connector', false)
    .action(async (o: { json?: boolean }) => {
      const rows = [];
      for (const name of listConnectors()) {
        const c = await loadConnector(name);
        rows.push({ name, title: c.manifest.title, streams: c.manifest.streams.map((s) => s.name) });
      }
      if (o.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else
        for (const r of rows)
          process.stdout.write(
            `${r.name.padEnd(12)} ${r.title.padEnd(12)} ${r.streams.length} streams: ${r.streams.join(', ')}\n`,
          );
    });

  program
    .command('spec')
    .description("print a connector's config spec as JSON Schema (secrets marked)")
    .argument('[connector]', CONNECTOR_ARG_HELP)
    .option(...CONNECTOR_FLAG)
    .action(async (argument: string | undefined, o: { connector?: string }) => {
      const c = await loadConnector(required(argument, o, 'spec'));
      process.stdout.write(
        `${JSON.stringify(configJsonSchema(c.manifest.spec, c.manifest.title), null, 2)}\n`,
      );
    });

  program
    .command('check')
    .description('validate a config and probe the API with its credentials')
    .argument('[connector]', CONNECTOR_ARG_HELP)
    .option(...CONNECTOR_FLAG)
    .option('-c, --config <file>', 'connector config (JSON or YAML, with $' + '{ENV} interpolation)')
    .option('--log-level <level>', 'log level on stderr: debug, info, warn, error, silent', 'warn')
    .action(
      async (argument: string | undefined, o: { connector?: string; config?: string; logLevel?: string }) => {
        const prepared = await prepareConnector(required(argument, o, 'check'), o.config);
        const name = prepared.connector.manifest.name;
        const source = buildSource(prepared, makeLogger({ logLevel: o.logLevel ?? 'warn' }));
        try {
          await source.check();
          process.stdout.write(
            `check succeeded: ${name} config is valid and the API accepted the credentials\n`,
          );
        } finally {
          await source.close();
        }
      },
    );

  program
    .command('discover')
    .description('list the streams a config can read, with primary keys, sync modes and JSON schemas')
    .argument('[connector]', CONNECTOR_ARG_HELP)
    .option(...CONNECTOR_FLAG)
    .option('-c, --config <file>', 'connector config (JSON or YAML, with $' + '{ENV} interpolation)')
    .option(
      '--write-schemas',
      "infer each stream's JSON Schema from a short read and write it into the connector folder",
      false,
    )
    .addOption(intOption('--pages <n>', 'with --write-schemas: pages read per stream', 1, 1000, 3))
    .option('--force', 'with --write-schemas: overwrite schema files that exist', false)
    .option('--streams <list>', 'with --write-schemas: only these streams (comma-separated)')
    .action(
      async (
        argument: string | undefined,
        o: {
          connector?: string;
          config?: string;
          writeSchemas?: boolean;
          pages: number;
          force?: boolean;
          streams?: string;
        },
      ) => {
        const prepared = await prepareConnector(required(argument, o, 'discover'), o.config);
        // One page at a time: a short read must not fetch pages it will not use.
        const source = buildSource(prepared, makeLogger({ logLevel: 'warn' }), { pageConcurrency: 1 });
        try {
          if (o.writeSchemas) {
            const written = await writeInferredSchemas(prepared.connector, source, {
              pages: o.pages,
              force: o.force === true,
              ...(o.streams === undefined ? {} : { streams: parseList(o.streams) ?? [] }),
            });
            for (const w of written) process.stdout.write(`${describeWritten(w)}\n`);
            return;
          }
          const streams = source.streams().map((s) => ({
            name: s.name,
            primary_key: s.primaryKey,
            supported_sync_modes: s.supportedSyncModes,
            cursor_field: s.cursorField ?? null,
            resumable: s.resumable,
            json_schema: s.jsonSchema,
          }));
          process.stdout.write(`${JSON.stringify({ streams }, null, 2)}\n`);
        } finally {
          await source.close();
        }
      },
    );
}
