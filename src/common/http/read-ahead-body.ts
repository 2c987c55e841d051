import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Up to this much of an answer waits in memory; the rest waits in a temporary file. */
export const SPOOL_MEMORY_BYTES = 1024 * 1024;

/** Bytes read from the overflow file per read. */
const FILE_READ_BYTES = 256 * 1024;

/**
 * A response body written at the source's pace and read at the client's.
 *
 * What is written waits here, up to SPOOL_MEMORY_BYTES in memory, the rest in a temporary file,
 * until the client reads it, so memory stays bounded at any size and the writer never waits for
 * the client. A streamed answer (a list, the sessions, an export) reads its rows from the
 * database as fast as the database gives them, so the connection (and the snapshot it reads) is
 * held for the query's own time, never at the pace of a slow or stalled reader; the first bytes
 * still go out as soon as the first rows are read. A rename's answer (ResponseSpool) is written
 * whole inside its transaction and read after the commit.
 *
 * The file is unlinked as soon as it is created and lives only as long as its descriptor, so
 * neither a client that goes away nor a killed process leaves anything behind.
 */
export class ReadAheadBody extends Readable {
  private readonly memory: Buffer[] = [];
  private memoryBytes = 0;
  private fd: number | undefined;
  private written = 0;
  private position = 0;
  private total = 0;
  private waiting = false;
  private reading = false;
  private finished = false;
  private failure: Error | undefined;
  /** A destruction that waits for the file read in flight (a descriptor number is reused). */
  private destroyedDuringRead: (() => void) | undefined;

  constructor(private readonly directory: string) {
    super();
  }

  /** Bytes written so far. */
  get bytes(): number {
    return this.total;
  }

  /** True once the client has gone away or the body was destroyed: the writer should stop. */
  stopped(): boolean {
    return this.destroyed;
  }

  /** Adds a chunk. Never waits for the client. */
  write(text: string): void {
    if (this.destroyed || text === '') {
      return;
    }
    const bytes = Buffer.from(text, 'utf8');
    this.total += bytes.length;
    if (this.fd === undefined && this.memoryBytes + bytes.length <= SPOOL_MEMORY_BYTES) {
      this.memory.push(bytes);
      this.memoryBytes += bytes.length;
    } else {
      // Once the body overflows, everything after goes to the file too, so that order holds.
      // Synchronous: a chunk is small and lands in the page cache, and a writer reading rows in
      // a transaction must not hand the event loop to anything that could reorder the answer.
      this.fd ??= openUnlinkedFile(this.directory);
      let done = 0;
      while (done < bytes.length) {
        done += fs.writeSync(this.fd, bytes, done, bytes.length - done, this.written + done);
      }
      this.written += bytes.length;
    }
    this.deliver();
  }

  /** Nothing more will be written: the body ends once the client has read it all. */
  end(): void {
    this.finished = true;
    this.deliver();
  }

  /** Runs `fill` in the background; the body ends when it resolves and is cut when it rejects. */
  fillWith(fill: (body: ReadAheadBody) => Promise<void>): this {
    fill(this).then(
      () => this.end(),
      (error: unknown) => {
        this.failure = error instanceof Error ? error : new Error(String(error));
        this.end();
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
    // Otherwise the writer has not caught up yet: the next write() delivers.
  }

  private readFile(fd: number): void {
    this.reading = true;
    const buffer = Buffer.allocUnsafe(Math.min(FILE_READ_BYTES, this.written - this.position));
    fs.read(fd, buffer, 0, buffer.length, this.position, (error, bytesRead) => {
      this.reading = false;
      if (this.destroyedDuringRead) {
        this.destroyedDuringRead();
        return;
      }
      if (error || bytesRead === 0) {
        this.destroy(error ?? new Error('the spool file ended early'));
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
    const close = () => {
      if (this.fd !== undefined) {
        fs.closeSync(this.fd);
        this.fd = undefined;
      }
      callback(error);
    };
    if (this.reading) {
      this.destroyedDuringRead = close;
    } else {
      close();
    }
  }
}

/** A new file only this process can reach: created, then unlinked while it stays open. */
function openUnlinkedFile(directory: string): number {
  fs.mkdirSync(directory, { recursive: true });
  const file = path.join(
    directory,
    `monitor-spool-${process.pid}-${randomBytes(8).toString('hex')}`,
  );
  const fd = fs.openSync(file, 'wx+', 0o600);
  fs.unlinkSync(file);
  return fd;
}
