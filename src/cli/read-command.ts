/**
 * `tributary read <connector> --config F --stream S`: a test read of a stream's first pages, page by page
 * (src/declarative/test-read.ts). Writes nothing: no destination is opened.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { ConfigError } from '../errors.js';
import { stateFromFile, type TestReadPage, type TestReadResult, testRead } from '../declarative/test-read.js';
import {
  CONNECTOR_ARG_HELP,
  CONNECTOR_FLAG,
  connectorRef,
  intOption,
  makeLogger,
  prepareConnector,
} from './common.js';

interface ReadCliOptions {
  connector?: string;
  config?: string;
  stream: string;
  pages: number;
  records: number;
  state?: string;
  json?: boolean;
  logLevel?: string;
}

export function registerRead(program: Command): void {
  program
    .command('read')
    .description(
      "test-read a stream's first pages: each request (secrets masked), status, timing, records, the paging decision and the state; writes nothing",
    )
    .argument('[connector]', CONNECTOR_ARG_HELP)
    .option(...CONNECTOR_FLAG)
    .option('-c, --config <file>', 'connector config (JSON or YAML, with $' + '{ENV} interpolation)')
    .requiredOption('--stream <name>', 'the stream to read')
    .addOption(intOption('--pages <n>', 'pages to read at most', 1, 1000, 3))
    .addOption(intOption('--records <n>', 'records shown per page, after transforms', 0, 1000, 3))
    .option(
      '--state <file>',
      "start from this state: a page's state as read prints it, or `tributary state show --json` output",
    )
    .option(
      '--json',
      'print one JSON document: {connector, stream, syncMode, pages: [...], stopped, records}',
      false,
    )
    .option('--log-level <level>', 'log level on stderr: debug, info, warn, error, silent', 'warn')
    .action(async (argument: string | undefined, o: ReadCliOptions) => {
      const name = connectorRef(argument, o.connector);
      if (name === undefined) {
        throw new ConfigError('tributary read needs a connector: a bundled name or a folder path', {
          code: 'TRB_USAGE',
        });
      }
      const prepared = await prepareConnector(name, o.config);
      const state = o.state === undefined ? undefined : readStateFile(o.state, o.stream);
      const { result, error } = await testRead(
        prepared.connector,
        prepared.config,
        {
          stream: o.stream,
          pages: o.pages,
          records: o.records,
          ...(state === undefined ? {} : { state }),
          logger: makeLogger({ logLevel: o.logLevel ?? 'warn' }),
        },
        o.json ? undefined : (page) => process.stdout.write(formatPage(page)),
      );
      if (o.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else process.stdout.write(formatVerdict(result));
      // The error was shown on its page; thrown, it sets the exit code (and repeats on stderr, as every command's).
      if (error !== undefined) throw error;
    });
}

function readStateFile(file: string, stream: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`--state ${file} cannot be read: ${(err as Error).message}`, { code: 'TRB_USAGE' });
  }
  const state = stateFromFile(doc, stream);
  if (state === undefined) {
    throw new ConfigError(
      `--state ${file} holds no JSON object (a state looks like {"skip": 100, "in_progress": true})`,
      {
        code: 'TRB_USAGE',
      },
    );
  }
  return state;
}

/** One page for a person. */
export function formatPage(p: TestReadPage): string {
  const lines = [`page ${p.page}`];
  for (const r of p.requests) {
    lines.push(`  ${r.method} ${r.url}${r.attempt > 0 ? `  (retry ${r.attempt})` : ''}`);
    for (const [k, v] of Object.entries(r.headers)) lines.push(`    ${k}: ${v}`);
    lines.push(
      `    -> ${r.status === undefined ? (r.error ?? 'no response') : `HTTP ${r.status}`} in ${r.ms} ms`,
    );
  }
  if (p.recordCount !== undefined) {
    const shown = p.records?.length ?? 0;
    const left = [
      ...(p.alreadyRead ? [`${p.alreadyRead} already read`] : []),
      ...(p.filtered ? [`${p.filtered} dropped by the record filter`] : []),
    ];
    const response =
      p.rawCount === undefined
        ? ''
        : `${p.rawCount} in the response${left.length > 0 ? ` (${left.join(', ')}, left out)` : ''}, `;
    lines.push(
      `  records: ${response}${p.recordCount} after transforms${shown > 0 ? `, showing ${shown}:` : ''}`,
    );
    for (const rec of p.records ?? []) lines.push(`    ${JSON.stringify(rec)}`);
  }
  const d = p.decision;
  if (d && 'stop' in d) lines.push(`  stop: ${d.stop}`);
  else if (d)
    lines.push(
      `  next: ${d.next.method} ${d.next.url} (${d.reason})${d.followed ? '' : ' [not read: --pages reached]'}`,
    );
  if (p.state !== undefined) lines.push(`  state: ${JSON.stringify(p.state)}`);
  if (p.error) lines.push(`  error [${p.error.code}] (exit ${p.error.exitCode}): ${p.error.message}`);
  return `${lines.join('\n')}\n\n`;
}

function formatVerdict(r: TestReadResult): string {
  const pages = r.pages.filter((p) => p.error === undefined).length;
  const why =
    r.stopped === 'end_of_stream'
      ? 'at the end of the pass'
      : r.stopped === 'page_limit'
        ? 'at the --pages limit'
        : 'on an error';
  return `${r.connector}/${r.stream} (${r.syncMode}): ${pages} page${pages === 1 ? '' : 's'}, ${r.records} record${r.records === 1 ? '' : 's'}; stopped ${why}; nothing was written\n`;
}
