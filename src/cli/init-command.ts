/**
 * `tributary init NAME`: scaffold a connector folder (src/connectors/scaffold.ts writes its files). On a
 * terminal it asks for what the flags did not give; with --yes, or without a terminal, it asks nothing (and
 * without a terminal a missing answer is a usage error naming the flag).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import {
  type AuthKind,
  availableKinds,
  invalidBaseUrl,
  invalidName,
  type PagingKind,
  type ScaffoldOptions,
  scaffoldFiles,
} from '../connectors/scaffold.js';

export interface InitOptions {
  dir?: string;
  baseUrl?: string;
  auth?: string;
  paging?: string;
  stream?: string;
  yes?: boolean;
}

/** The answers --yes takes for what the flags leave out. */
const DEFAULTS = { baseUrl: 'https://api.example.com/v1', auth: 'bearer', paging: 'page', stream: 'items' };

export function registerInit(program: Command): void {
  const kinds = availableKinds();
  program
    .command('init')
    .description('create a connector folder: a commented manifest, a schema, a README and a test')
    .argument('[name]', 'connector name, snake_case (also the default folder and destination schema)')
    .option('--dir <folder>', 'the folder to create (default: ./NAME); it must not exist')
    .option('--base-url <url>', `the API's base URL (default with --yes: ${DEFAULTS.baseUrl})`)
    .option(
      '--auth <kind>',
      `how requests authenticate: ${kinds.auth.join(', ')} (default: ${DEFAULTS.auth})`,
    )
    .option(
      '--paging <kind>',
      `how the list is paged: ${kinds.paging.join(', ')} (default: ${DEFAULTS.paging})`,
    )
    .option('--stream <name>', `the one stream's name, also its path (default: ${DEFAULTS.stream})`)
    .option('-y, --yes', 'ask nothing: take the defaults for what the flags leave out', false)
    .action(async (name: string | undefined, o: InitOptions) => {
      const dir = await initCommand(name, o);
      const rel = relative(process.cwd(), dir) || '.';
      const shown = rel.startsWith('..') ? dir : `./${rel}`;
      process.stdout.write(
        `\nNext:\n  edit ${shown}/manifest.yaml and ${shown}/config.example.yaml\n` +
          `  tributary check ${shown} --config ${shown}/config.example.yaml\n` +
          `  tributary sync ${shown} --config ${shown}/config.example.yaml\n` +
          `  node --test ${shown}/test/\n`,
      );
    });
}

/** Ask for what is missing, write the folder, and return its absolute path. */
export async function initCommand(
  nameArg: string | undefined,
  o: InitOptions,
  io: { input: NodeJS.ReadableStream & { isTTY?: boolean }; output: NodeJS.WritableStream } = {
    input: process.stdin,
    output: process.stdout,
  },
): Promise<string> {
  const kinds = availableKinds();
  const interactive = !o.yes && io.input.isTTY === true;
  const rl = interactive ? createInterface({ input: io.input, output: io.output }) : undefined;
  try {
    const ask = async (
      flag: string,
      given: string | undefined,
      question: string,
      fallback: string | undefined,
      check: (v: string) => string | undefined,
    ): Promise<string> => {
      if (given !== undefined) {
        const why = check(given);
        if (why) throw new ConfigError(`tributary init ${flag}: ${why}`, { code: 'TRB_USAGE' });
        return given;
      }
      if (o.yes && fallback !== undefined) return fallback;
      if (!rl) {
        throw new ConfigError(
          `tributary init needs ${flag} (no terminal to ask on): give it, or --yes for the defaults`,
          { code: 'TRB_USAGE' },
        );
      }
      // Bounded: a person gets five tries per question.
      for (let attempt = 0; attempt < 5; attempt++) {
        const answer = (await rl.question(`${question}${fallback ? ` [${fallback}]` : ''}: `)).trim();
        const value = answer === '' && fallback !== undefined ? fallback : answer;
        const why = check(value);
        if (!why) return value;
        io.output.write(`  ${why}\n`);
      }
      throw new ConfigError(`tributary init: no valid answer for ${flag}`, { code: 'TRB_USAGE' });
    };
    const oneOf = (list: readonly string[], what: string) => (v: string) =>
      list.includes(v) ? undefined : `${what} "${v}" is not one of ${list.join(', ')}`;

    const name = await ask('NAME', nameArg, 'Connector name (snake_case)', undefined, (v) => invalidName(v));
    const dir = resolve(o.dir ?? name);
    if (existsSync(dir)) {
      throw new ConfigError(
        `tributary init: ${dir} already exists; init never overwrites, choose another --dir`,
        {
          code: 'TRB_USAGE',
        },
      );
    }
    const options: ScaffoldOptions = {
      name,
      baseUrl: await ask('--base-url', o.baseUrl, 'API base URL', DEFAULTS.baseUrl, invalidBaseUrl),
      auth: (await ask(
        '--auth',
        o.auth,
        `Authentication (${kinds.auth.join(', ')})`,
        DEFAULTS.auth,
        oneOf(kinds.auth, '--auth'),
      )) as AuthKind,
      paging: (await ask(
        '--paging',
        o.paging,
        `Paging (${kinds.paging.join(', ')})`,
        DEFAULTS.paging,
        oneOf(kinds.paging, '--paging'),
      )) as PagingKind,
      // Not a required answer: without a terminal the stream is called `items` unless --stream names it.
      stream: await ask(
        '--stream',
        o.stream ?? (rl ? undefined : DEFAULTS.stream),
        'Stream name (snake_case; also its path)',
        DEFAULTS.stream,
        (v) => invalidName(v),
      ),
    };
    const files = scaffoldFiles(options);
    // Created exclusively: a folder made meanwhile by someone else is not written into.
    mkdirSync(dirname(dir), { recursive: true });
    mkdirSync(dir);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text, { flag: 'wx' });
      io.output.write(`created ${join(dir, path)}\n`);
    }
    return dir;
  } finally {
    rl?.close();
  }
}
