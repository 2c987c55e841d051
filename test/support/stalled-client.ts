import * as net from 'node:net';

/**
 * An HTTP/1.1 client that sends one request, reads the status line and headers, and then stops
 * reading: what a slow or stuck consumer does to a streamed answer. `resume()` reads the rest.
 */
export class StalledClient {
  private received: Buffer;
  private closed = false;
  readonly status: number;
  readonly headers: string;

  private constructor(
    private readonly socket: net.Socket,
    head: { status: number; headers: string; rest: Buffer },
  ) {
    this.status = head.status;
    this.headers = head.headers;
    this.received = head.rest;
    socket.on('close', () => (this.closed = true));
  }

  static async open(
    baseUrl: string,
    method: string,
    path: string,
    headers: Record<string, string>,
  ): Promise<StalledClient> {
    const { hostname, port } = new URL(baseUrl);
    const socket = net.connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const lines = [`${method} ${path} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Connection: close'];
    for (const [name, value] of Object.entries(headers)) {
      lines.push(`${name}: ${value}`);
    }
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    const head = await new Promise<{ status: number; headers: string; rest: Buffer }>(
      (resolve, reject) => {
        let buffer = Buffer.alloc(0);
        const onData = (chunk: Buffer) => {
          buffer = Buffer.concat([buffer, chunk]);
          const end = buffer.indexOf('\r\n\r\n');
          if (end >= 0) {
            socket.off('data', onData);
            socket.pause();
            const text = buffer.subarray(0, end).toString('latin1');
            resolve({
              status: Number(text.split(' ')[1]),
              headers: text.toLowerCase(),
              rest: buffer.subarray(end + 4),
            });
          }
        };
        socket.on('data', onData);
        socket.once('error', reject);
        socket.once('close', () => reject(new Error('closed before the headers')));
      },
    );
    return new StalledClient(socket, head);
  }

  /** Reads the rest of the answer until the server closes, and returns the body (de-chunked). */
  async resume(): Promise<{ body: string; complete: boolean }> {
    const socket = this.socket;
    if (!this.closed) {
      await new Promise<void>((resolve) => {
        socket.on('data', (chunk: Buffer) => {
          this.received = Buffer.concat([this.received, chunk]);
        });
        socket.once('close', () => resolve());
        socket.once('error', () => resolve());
        socket.resume();
      });
    }
    return this.decodeBody();
  }

  /** Hangs up. */
  destroy(): void {
    this.socket.destroy();
  }

  private decodeBody(): { body: string; complete: boolean } {
    if (!this.headers.includes('transfer-encoding: chunked')) {
      const length = /content-length: (\d+)/.exec(this.headers);
      const body = this.received.toString('utf8');
      return { body, complete: !length || this.received.length === Number(length[1]) };
    }
    const parts: Buffer[] = [];
    let offset = 0;
    for (;;) {
      const lineEnd = this.received.indexOf('\r\n', offset);
      if (lineEnd < 0) {
        return { body: Buffer.concat(parts).toString('utf8'), complete: false };
      }
      const size = parseInt(this.received.subarray(offset, lineEnd).toString('latin1'), 16);
      if (size === 0) {
        return { body: Buffer.concat(parts).toString('utf8'), complete: true };
      }
      const start = lineEnd + 2;
      if (start + size > this.received.length) {
        return { body: Buffer.concat(parts).toString('utf8'), complete: false };
      }
      parts.push(this.received.subarray(start, start + size));
      offset = start + size + 2;
    }
  }
}
