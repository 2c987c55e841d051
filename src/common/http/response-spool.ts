import { StreamableFile } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { cutOnError } from './json-array-stream';

/** Up to this much of an answer stays in memory; the rest goes to a temporary file. */
export const SPOOL_MEMORY_BYTES = 1024 * 1024;

/** Items are gathered into chunks of about this size before they are stored. */
const CHUNK_CHARS = 64 * 1024;

/**
 * A JSON array answer written in full before it is sent, so that it can be made inside a database
 * transaction at the database's pace and sent after the commit at the client's pace, with no
 * connection, lock or transaction held meanwhile.
 *
 * Memory stays bounded at any size: the first SPOOL_MEMORY_BYTES are kept in memory (a small
 * answer never touches the disk), the rest in a file in `directory`. The file is unlinked as soon
 * as it is created and lives only as long as its descriptor, so neither a client that goes away
 * nor a killed process leaves anything behind.
 */
export class ResponseSpool {
  private readonly memory: Buffer[] = [];
  private memoryBytes = 0;
  private fd: number | undefined;
  private fileBytes = 0;
  private pending = '';
  private items = 0;
  private taken = false;

  constructor(private readonly directory: string) {}

  /** How many items were added. */
  get count(): number {
    return this.items;
  }

  /** Adds one item, already JSON text. */
  add(json: string): void {
    this.pending += this.items === 0 ? `[${json}` : `,${json}`;
    this.items += 1;
    if (this.pending.length >= CHUNK_CHARS) {
      this.store(this.pending);
      this.pending = '';
    }
  }

  /** Forgets everything added (a transaction that is retried starts its answer again). */
  clear(): void {
    this.closeFile();
    this.memory.length = 0;
    this.memoryBytes = 0;
    this.fileBytes = 0;
    this.pending = '';
    this.items = 0;
  }

  /** Frees what the spool holds when its answer will not be sent. */
  discard(): void {
    this.clear();
  }

  /** The whole array as a response body, read from memory and then from the file as the client reads. */
  toStreamableFile(): StreamableFile {
    if (this.taken) {
      throw new Error('a spool is sent once');
    }
    this.taken = true;
    this.store(this.items === 0 ? '[]' : `${this.pending}]`);
    this.pending = '';
    const memory = this.memory.splice(0);
    const fd = this.fd;
    const fileBytes = this.fileBytes;
    this.fd = undefined;
    const stream = new SpoolReader(memory, fd, fileBytes);
    return cutOnError(
      new StreamableFile(stream, {
        type: 'application/json',
        length: this.memoryBytes + fileBytes,
      }),
    );
  }

  private store(text: string): void {
    if (text === '') {
      return;
    }
    const bytes = Buffer.from(text, 'utf8');
    if (this.fd === undefined && this.memoryBytes + bytes.length <= SPOOL_MEMORY_BYTES) {
      this.memory.push(bytes);
      this.memoryBytes += bytes.length;
      return;
    }
    this.fd ??= openUnlinkedFile(this.directory);
    // Synchronous: a chunk is small and lands in the page cache, and the caller (a transaction
    // reading rows) must not hand the event loop to anything that could reorder the answer.
    let written = 0;
    while (written < bytes.length) {
      written += fs.writeSync(
        this.fd,
        bytes,
        written,
        bytes.length - written,
        this.fileBytes + written,
      );
    }
    this.fileBytes += bytes.length;
  }

  private closeFile(): void {
    if (this.fd !== undefined) {
      fs.closeSync(this.fd);
      this.fd = undefined;
    }
  }
}

/** A new file only this process can reach: created, then unlinked while it stays open. */
export function openUnlinkedFile(directory: string): number {
  fs.mkdirSync(directory, { recursive: true });
  const file = path.join(
    directory,
    `monitor-spool-${process.pid}-${randomBytes(8).toString('hex')}`,
  );
  const fd = fs.openSync(file, 'wx+', 0o600);
  fs.unlinkSync(file);
  return fd;
}

/**
 * Reads a spool's chunks: memory first, then the file. The file's descriptor is closed when the
 * stream is destroyed, never while a read on it is in flight (a descriptor number is reused).
 */
class SpoolReader extends Readable {
  private reading: Promise<void> | undefined;
  private position = 0;

  constructor(
    private readonly memory: Buffer[],
    private fd: number | undefined,
    private readonly fileBytes: number,
  ) {
    super();
  }

  override _read(): void {
    const chunk = this.memory.shift();
    if (chunk) {
      this.push(chunk);
      return;
    }
    const fd = this.fd;
    if (fd === undefined || this.position >= this.fileBytes) {
      this.push(null);
      return;
    }
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK_CHARS * 4, this.fileBytes - this.position));
    this.reading = new Promise<void>((resolve) => {
      fs.read(fd, buffer, 0, buffer.length, this.position, (error, bytesRead) => {
        this.reading = undefined;
        resolve();
        if (error || bytesRead === 0) {
          this.destroy(error ?? new Error('the spool file ended early'));
          return;
        }
        this.position += bytesRead;
        this.push(buffer.subarray(0, bytesRead));
      });
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    void (this.reading ?? Promise.resolve()).then(() => {
      if (this.fd !== undefined) {
        fs.close(this.fd, () => undefined);
        this.fd = undefined;
      }
      callback(error);
    });
  }
}
