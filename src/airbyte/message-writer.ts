/**
 * Writing protocol messages: one JSON object per line, and nothing else, on one stream (stdout). Writes are
 * synchronous calls that queue in the stream; `drain()` waits for a slow reader (e.g. a loader on the other
 * end of a pipe), so a fast source never buffers more than a page ahead of it (docs/architecture.md law 2).
 */
import type { AirbyteMessage } from './protocol.js';

export class MessageWriter {
  private backlog = false;
  /**
   * The stream writes chunks to a file descriptor (stdout or stderr: a pipe, file or terminal), so a chunk
   * is free for reuse once its write callback has run. Other streams may hand the chunk on to a reader.
   */
  readonly ownsChunksUntilWritten: boolean;

  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {
    this.ownsChunksUntilWritten = out === process.stdout || out === process.stderr;
  }

  write(msg: AirbyteMessage): void {
    this.writeRaw(`${JSON.stringify(msg)}\n`);
  }

  /** Pre-serialized lines (each ending in "\n"), as text or UTF-8 bytes. `written` runs once they are written. */
  writeRaw(text: string | Uint8Array, written?: () => void): void {
    if (!(written ? this.out.write(text, () => written()) : this.out.write(text))) this.backlog = true;
  }

  /** Resolve once the stream has flushed what was written (immediately when it keeps up). */
  async drain(): Promise<void> {
    if (!this.backlog) return;
    this.backlog = false;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.out.off('drain', done);
        this.out.off('close', done);
        this.out.off('error', done);
        resolve();
      };
      this.out.on('drain', done);
      this.out.on('close', done);
      this.out.on('error', done);
    });
  }
}
