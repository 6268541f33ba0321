/**
 * Our pino logs inside an Airbyte connector: stdout carries protocol messages only, so each pino JSON line
 * becomes an Airbyte LOG message (level mapped, the fields appended to the text). The lines reaching here
 * are already redacted by the logger; `logMessage` redacts again, which is harmless.
 */
import { createLogger, type Logger } from '../util/log.js';
import { logMessage } from './messages.js';
import type { MessageWriter } from './message-writer.js';
import type { LogLevel } from './protocol.js';

const LEVELS: Record<string, LogLevel> = {
  fatal: 'FATAL',
  error: 'ERROR',
  warn: 'WARN',
  info: 'INFO',
  debug: 'DEBUG',
  trace: 'TRACE',
};

export function airbyteLogger(writer: MessageWriter, level: string): Logger {
  return createLogger({
    level,
    destination: {
      write(line: string) {
        writer.write(toLogMessage(line));
        return true;
      },
    } as unknown as NodeJS.WritableStream,
  });
}

/** `{"level":"warn","time":…,"msg":"x","url":"…"}` → LOG WARN `x {"url":"…"}`. */
export function toLogMessage(line: string) {
  try {
    const { level, time: _time, msg, ...fields } = JSON.parse(line) as Record<string, unknown>;
    const extra = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    return logMessage(LEVELS[String(level)] ?? 'INFO', `${String(msg ?? '')}${extra}`);
  } catch {
    return logMessage('INFO', line.trimEnd());
  }
}
