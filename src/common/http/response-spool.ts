import { StreamableFile } from '@nestjs/common';
import { AbstractHttpAdapter } from '@nestjs/core';
import { ServerResponse } from 'node:http';
import { cutOnError } from './json-array-stream';
import { ReadAheadBody } from './read-ahead-body';

/** Items are gathered into chunks of about this size before they are stored. */
const CHUNK_CHARS = 64 * 1024;

/**
 * A JSON array answer written in full before it is sent, so that it can be made inside a database
 * transaction at the database's pace and sent after the commit at the client's pace, with no
 * connection, lock or transaction held meanwhile. Memory stays bounded at any size: it waits in
 * a ReadAheadBody (memory, then an unlinked file in `directory`).
 */
export class ResponseSpool {
  /** Made once the answer outgrows one chunk: a small answer never needs a stream. */
  private body: ReadAheadBody | undefined;
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
      this.body ??= new ReadAheadBody(this.directory);
      this.body.write(this.pending);
      this.pending = '';
    }
  }

  /** Forgets everything added (a transaction that is retried starts its answer again). */
  clear(): void {
    this.body?.destroy();
    this.body = undefined;
    this.pending = '';
    this.items = 0;
  }

  /** Frees what the spool holds when its answer will not be sent. */
  discard(): void {
    this.body?.destroy();
  }

  /**
   * Sends the whole array with status 200: an answer of one chunk as one string with its
   * Content-Length (one write, no stream), a larger one through Nest's stream reply, read from
   * memory and then from the file as the client reads.
   */
  reply(adapter: AbstractHttpAdapter, response: ServerResponse): void {
    if (this.body === undefined) {
      const text = this.take();
      response.statusCode = 200;
      response.setHeader('Content-Type', 'application/json');
      response.setHeader('Content-Length', Buffer.byteLength(text));
      response.end(text);
      return;
    }
    adapter.reply(response, this.toStreamableFile(), 200);
  }

  /** Marks the spool sent and returns the rest of its text, the array's closing bracket included. */
  private take(): string {
    if (this.taken) {
      throw new Error('a spool is sent once');
    }
    this.taken = true;
    const rest = this.items === 0 ? '[]' : `${this.pending}]`;
    this.pending = '';
    return rest;
  }

  /** The whole array as a response body, read from memory and then from the file as the client reads. */
  toStreamableFile(): StreamableFile {
    const rest = this.take();
    this.body ??= new ReadAheadBody(this.directory);
    this.body.write(rest);
    this.body.end();
    return cutOnError(
      new StreamableFile(this.body, { type: 'application/json', length: this.body.bytes }),
    );
  }
}
