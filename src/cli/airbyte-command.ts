/**
 * `tributary airbyte <connector> spec|check|discover|read`: a bundled connector as an Airbyte source. Only
 * Airbyte protocol messages reach stdout (our logs become LOG messages); errors become TRACE ERROR messages.
 * Exit codes: 0 (also for a `check` that reports FAILED, as Airbyte connectors do), 1 a read failed,
 * 2 bad config, catalog, state or usage.
 */
import type { Command } from 'commander';
import { airbyteLogger } from '../airbyte/log-bridge.js';
import { loadConfiguredCatalog } from '../airbyte/catalog.js';
import { errorTraceMessage, specMessage } from '../airbyte/messages.js';
import { MessageWriter } from '../airbyte/message-writer.js';
import { airbyteCheck, airbyteDiscover, airbyteRead } from '../airbyte/source-runner.js';
import { loadIncomingState } from '../airbyte/state-input.js';
import { loadConnector } from '../connectors/registry.js';
import { configJsonSchema } from '../declarative/config-spec.js';
import { ConfigError, isTributaryError, toTributaryError } from '../errors.js';
import { buildSource, prepareConnector } from './common.js';

const COMMANDS = ['spec', 'check', 'discover', 'read'] as const;

interface AirbyteCliOptions {
  config?: string;
  catalog?: string;
  state?: string;
  logLevel?: string;
}

export function registerAirbyte(program: Command): void {
  program
    .command('airbyte')
    .description(
      'run a connector as an Airbyte source: spec, check, discover or read (protocol v0 on stdout)',
    )
    .argument('<connector>', 'connector name (see `tributary connectors`)')
    .argument('<command>', COMMANDS.join(' | '))
    .option('--config <file>', 'connector config (JSON, as Airbyte passes it; YAML also works)')
    .option('--catalog <file>', 'read: ConfiguredAirbyteCatalog JSON (default: every stream)')
    .option('--state <file>', 'read: incoming state (per-stream list, global or legacy)')
    .option(
      '--log-level <level>',
      'level of the LOG messages: debug, info, warn, error, silent (default: info; env TRIBUTARY_LOG_LEVEL)',
    )
    .action(async (connector: string, command: string, o: AirbyteCliOptions) => {
      process.exitCode = await airbyteCommand(connector, command, o);
    });
}

export async function airbyteCommand(
  connectorName: string,
  command: string,
  o: AirbyteCliOptions,
): Promise<number> {
  const writer = new MessageWriter(process.stdout);
  const logger = airbyteLogger(writer, o.logLevel ?? process.env.TRIBUTARY_LOG_LEVEL ?? 'info');
  const abort = new AbortController();
  // The reader went away (e.g. the loader failed): stop reading instead of dying on EPIPE. The listener
  // stays until exit, so a write still in flight cannot raise an unhandled 'error'.
  process.stdout.on('error', (err: Error) => abort.abort(err));
  try {
    switch (command) {
      case 'spec': {
        const c = await loadConnector(connectorName);
        writer.write(
          specMessage({
            connectionSpecification: configJsonSchema(c.manifest.spec, c.manifest.title),
            supportsIncremental:
              Boolean(c.manifest.incremental) || c.manifest.streams.some((s) => Boolean(s.incremental)),
          }),
        );
        return 0;
      }
      case 'check':
        await airbyteCheck(async () => {
          const prepared = await prepareConnector(connectorName, o.config);
          return buildSource(prepared, logger);
        }, writer);
        return 0;
      case 'discover':
      case 'read': {
        const prepared = await prepareConnector(connectorName, o.config);
        // Parse the catalog and the state before any request, so a typo costs nothing.
        const catalog = command === 'read' && o.catalog ? loadConfiguredCatalog(o.catalog) : undefined;
        const state = command === 'read' && o.state ? loadIncomingState(o.state) : undefined;
        const source = buildSource(prepared, logger);
        try {
          if (command === 'discover') {
            airbyteDiscover(source, writer);
            return 0;
          }
          return await airbyteRead({
            source,
            writer,
            catalog,
            state,
            budget: source.rateBudget,
            logger,
            signal: abort.signal,
          });
        } finally {
          await source.close();
        }
      }
      default:
        throw new ConfigError(
          `airbyte: unknown command ${JSON.stringify(command)} (expected ${COMMANDS.join(', ')})`,
          { code: 'TRB_USAGE' },
        );
    }
  } catch (err) {
    const e = toTributaryError(err);
    writer.write(errorTraceMessage(isTributaryError(err) ? e : err));
    return e.exitCode;
  }
}
