import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { openUnlinkedFile, SPOOL_MEMORY_BYTES } from './response-spool';

/** Bytes read from the overflow file per read. */
const FILE_READ_BYTES = 256 * 1024;

/**
 * A response body filled at the source's pace and read at the client's.
 *
 * A streamed answer (a list, the sessions, an export) reads its rows from the database as fast as
 * the database gives them, whatever the client does: the rows go into this body, up to
 * SPOOL_MEMORY_BYTES in memory, the rest into an unlinked temporary file, and the client reads
 * from there. So the database connection (and the snapshot it reads) is held for the query's own
 * time, never at the pace of a slow or stalled reader, and memory stays bounded at any size. The
 * first bytes still go out as soon as the first rows are read.
 *
 * `fill` writes chunks with `write()`; the body ends when it resolves, and is cut (destroyed with
 * the error) when it rejects: the status line is out by then, so a cut body is the only honest
 * signal left. `fill` is told to stop (`stopped()`) when the client goes away first.
 */
export class ReadAheadBody extends Readable {
  private readonly memory: Buffer[] = [];
  private memoryBytes = 0;
  private fd: number | undefined;
  private written = 0;
  private position = 0;
  private waiting = false;
  private reading = false;
  private finished = false;
  private failure: Error | undefined;

  constructor(private readonly directory: string) {
    super();
  }

  /** True once the client has gone away or the body was destroyed: the filler should stop. */
  stopped(): boolean {
    return this.destroyed;
  }

  /** Adds a chunk. Never waits for the client. */
  write(text: string): void {
    if (this.destroyed || text === '') {
      return;
    }
    const bytes = Buffer.from(text, 'utf8');
    if (this.fd === undefined && this.memoryBytes + bytes.length <= SPOOL_MEMORY_BYTES) {
      this.memory.push(bytes);
      this.memoryBytes += bytes.length;
    } else {
      // Once the body overflows, everything after goes to the file too, so that order holds.
      this.fd ??= openUnlinkedFile(this.directory);
      let done = 0;
      while (done < bytes.length) {
        done += fs.writeSync(this.fd, bytes, done, bytes.length - done, this.written + done);
      }
      this.written += bytes.length;
    }
    this.deliver();
  }

  /** Runs `fill` in the background; the first chunks may already be written. */
  fillWith(fill: (body: ReadAheadBody) => Promise<void>): this {
    fill(this).then(
      () => {
        this.finished = true;
        this.deliver();
      },
      (error: unknown) => {
        this.failure = error instanceof Error ? error : new Error(String(error));
        this.finished = true;
        this.deliver();
      },
    );
    return this;
  }

  /** Lets other work run between chunks: a synchronous source (SQLite) must not hold the loop. */
  static pause(): Promise<void> {
    return nextTurn();
  }

  override _read(): void {
    this.waiting = true;
    this.deliver();
  }

  private deliver(): void {
    if (!this.waiting || this.reading || this.destroyed) {
      return;
    }
    const chunk = this.memory.shift();
    if (chunk) {
      this.memoryBytes -= chunk.length;
      this.waiting = false;
      this.push(chunk);
      return;
    }
    if (this.fd !== undefined && this.position < this.written) {
      this.readFile(this.fd);
      return;
    }
    if (this.finished) {
      this.waiting = false;
      if (this.failure) {
        this.destroy(this.failure);
      } else {
        this.push(null);
      }
    }
    // Otherwise the source has not caught up yet: the next write() delivers.
  }

  private readFile(fd: number): void {
    this.reading = true;
    const buffer = Buffer.allocUnsafe(Math.min(FILE_READ_BYTES, this.written - this.position));
    fs.read(fd, buffer, 0, buffer.length, this.position, (error, bytesRead) => {
      this.reading = false;
      if (this.destroyed) {
        this.closeFile();
        return;
      }
      if (error || bytesRead === 0) {
        this.destroy(error ?? new Error('the read-ahead file ended early'));
        return;
      }
      this.position += bytesRead;
      this.waiting = false;
      this.push(buffer.subarray(0, bytesRead));
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.memory.length = 0;
    this.memoryBytes = 0;
    // A descriptor is never closed under a read in flight (its number could be reused).
    if (!this.reading) {
      this.closeFile();
    }
    callback(error);
  }

  private closeFile(): void {
    if (this.fd !== undefined) {
      const fd = this.fd;
      this.fd = undefined;
      fs.close(fd, () => undefined);
    }
  }
}
