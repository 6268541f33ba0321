/**
 * Structured logging with pino. Every line goes through the global redactor, so a secret that slipped into
 * a message or a field is masked before it reaches stderr or a log file.
 */
import { pino, type Logger } from 'pino';
import { globalRedactor } from './redact.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: string;
  /** Where JSON lines go; default stderr (stdout is reserved for command output). */
  destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const dest = opts.destination ?? process.stderr;
  const stream = {
    write(line: string) {
      dest.write(globalRedactor.redact(line));
    },
  };
  return pino(
    {
      level: opts.level ?? process.env.TRIBUTARY_LOG_LEVEL ?? 'info',
      base: undefined,
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    stream,
  );
}

/** A logger that drops everything (tests and library use without logging). */
export const silentLogger: Logger = pino({ level: 'silent' });
