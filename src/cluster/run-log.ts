/**
 * A run's log lines in Redis, for the dashboard's run page: the worker's pino logger for a job is teed into
 * a RunLogSink, which redacts each line (util/redact.ts) and appends it to a capped list per run with a TTL.
 * Lines are buffered and written in one pipelined round trip at most every FLUSH_MS, never awaited by the
 * sync: a slow Redis delays the log, not the run.
 */
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import type { Logger } from '../util/log.js';
import { globalRedactor } from '../util/redact.js';
import type { ClusterKeys } from './keys.js';

/** Lines kept per run (the last ones). */
export const RUN_LOG_LINES = 2_000;
/** How long a run's log is kept. */
export const RUN_LOG_TTL_S = 7 * 24 * 3600;
/** A longer line is cut (a log line is a message and a few fields, not a payload). */
const MAX_LINE_CHARS = 8_000;
const FLUSH_MS = 500;

export class RunLogSink {
  private buffer: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    private readonly keys: ClusterKeys,
    readonly runId: string,
  ) {}

  private discarded = false;

  /** pino's stream interface: one JSON line (with its newline) per call. */
  write(line: string): void {
    if (this.discarded) return;
    let text = globalRedactor.redact(line.trimEnd());
    if (text.length > MAX_LINE_CHARS) text = cutLine(text);
    this.buffer.push(text);
    if (this.buffer.length > RUN_LOG_LINES) this.buffer.splice(0, this.buffer.length - RUN_LOG_LINES);
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, FLUSH_MS);
      this.timer.unref();
    }
  }

  /** The job turned out not to be a run (skipped, or waiting its turn): keep nothing of it, now or later. */
  discard(): void {
    this.discarded = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.buffer = [];
  }

  /** Write what is buffered (the run's end awaits this). Failures are dropped: the log is a view. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const lines = this.buffer;
    this.buffer = [];
    const previous = this.flushing;
    const key = this.keys.runLog(this.runId);
    this.flushing = previous.then(() =>
      lines.length === 0
        ? undefined
        : this.redis
            .multi()
            .rpush(key, ...lines)
            .ltrim(key, -RUN_LOG_LINES, -1)
            .expire(key, RUN_LOG_TTL_S)
            .exec()
            .catch(() => undefined),
    );
    await this.flushing;
  }
}

/** A line cut to MAX_LINE_CHARS, still one JSON object: its message and level kept, `truncated: true`. */
function cutLine(text: string): string {
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    return JSON.stringify({
      level: o.level,
      time: o.time,
      msg: typeof o.msg === 'string' ? o.msg.slice(0, 1000) : undefined,
      truncated: true,
    });
  } catch {
    return JSON.stringify({ level: 'info', msg: text.slice(0, 1000), truncated: true });
  }
}

/**
 * A logger writing every line to `parent`'s destination (at `parent`'s level) and every line at `level` or
 * above to `sink`, with `parent`'s bindings. pino's child loggers share their parent's stream, so the tee is
 * a new logger over pino.multistream; `pino.symbols.streamSym` is pino's documented handle on a logger's
 * stream. Lines have the same shape as util/log.ts's createLogger.
 */
export function teeLogger(parent: Logger, sink: { write(line: string): void }, level = 'info'): Logger {
  const streams: pino.StreamEntry[] = [{ level: level as pino.Level, stream: sink }];
  const parentStream = (parent as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as
    | pino.DestinationStream
    | undefined;
  if (parent.level !== 'silent' && parentStream) {
    streams.push({ level: parent.level as pino.Level, stream: parentStream });
  }
  const levels = [level, parent.level].filter((l) => l !== 'silent');
  const lowest = levels.sort((a, b) => pino.levels.values[a]! - pino.levels.values[b]!)[0] ?? level;
  return pino(
    {
      level: lowest,
      base: undefined,
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.multistream(streams),
  ).child(parent.bindings());
}

/** A run's stored log lines, oldest first. */
export async function readRunLogLines(
  redis: Redis,
  keys: ClusterKeys,
  runId: string,
): Promise<Record<string, unknown>[]> {
  const raw = await redis.lrange(keys.runLog(runId), 0, -1);
  const out: Record<string, unknown>[] = [];
  for (const line of raw) {
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      out.push({ level: 'info', msg: line });
    }
  }
  return out;
}
