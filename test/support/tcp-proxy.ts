import * as net from 'node:net';
import { performance } from 'node:perf_hooks';

/** How a cut ends the proxy's connections: a FIN (a server process that exits) or a TCP reset. */
export type CutKind = 'close' | 'reset';

/** A cut armed with `cutAfterMessages`, and what happened to it. */
interface ArmedCut {
  after: number;
  kind: CutKind;
  /** The messages forwarded since it was armed: `>Q` from the client, `<Z` from the server. */
  seen: string[];
  /** Set from the last message on: nothing more passes, and this settles once all is cut. */
  cutting?: Promise<void>;
  /** performance.now() when the connections were cut. */
  cutAt?: number;
}

/**
 * Finds where PostgreSQL protocol messages end in one direction of one connection: each is a
 * type byte and a 32-bit length (which counts itself), except the client's first, the startup
 * message, which has no type byte.
 */
class MessageFramer {
  private header = Buffer.alloc(0);
  private remaining = 0;
  private type = '';

  constructor(
    private readonly arrow: '>' | '<',
    private untypedNext: boolean,
  ) {}

  /** Each message that ends in `chunk`: the offset just after it, and its arrow and type. */
  messages(chunk: Buffer): { end: number; name: string }[] {
    const ends: { end: number; name: string }[] = [];
    let position = 0;
    while (position < chunk.length) {
      if (this.remaining > 0) {
        const taken = Math.min(this.remaining, chunk.length - position);
        position += taken;
        this.remaining -= taken;
      } else {
        const headerSize = this.untypedNext ? 4 : 5;
        const taken = Math.min(headerSize - this.header.length, chunk.length - position);
        this.header = Buffer.concat([this.header, chunk.subarray(position, position + taken)]);
        position += taken;
        if (this.header.length < headerSize) {
          break;
        }
        this.type = this.untypedNext ? 'startup' : String.fromCharCode(this.header[0]);
        this.remaining = this.header.readInt32BE(headerSize - 4) - 4;
        this.header = Buffer.alloc(0);
        this.untypedNext = false;
      }
      if (this.remaining === 0) {
        ends.push({ end: position, name: `${this.arrow}${this.type}` });
      }
    }
    return ends;
  }
}

/**
 * A loopback TCP proxy in front of a real database server, so that a test can make the database
 * unreachable (connections cut, new ones refused) and bring it back, without touching the server.
 * It can also cut every connection at an exact point of a PostgreSQL conversation (after the
 * n-th protocol message, whichever way it went), to reach every moment of a request.
 */
export class TcpProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private dropping = false;
  private armed: ArmedCut | undefined;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** A started proxy in front of the database of a `postgres://` URL, and the URL through it. */
  static async inFrontOf(databaseUrl: string): Promise<{ proxy: TcpProxy; url: string }> {
    const target = new URL(databaseUrl);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    const viaProxy = new URL(databaseUrl);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    return { proxy, url: viaProxy.toString() };
  }

  /** Starts (or restarts, on the same port) accepting and forwarding connections. */
  async start(): Promise<void> {
    if (this.server) {
      return;
    }
    this.server = net.createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => client.destroy());
      if (this.dropping) {
        // A partition: the connection seems open, and nothing ever comes back.
        client.resume();
        return;
      }
      const upstream = net.connect(this.targetPort, this.targetHost);
      this.sockets.add(upstream);
      upstream.on('close', () => this.sockets.delete(upstream));
      upstream.on('error', () => upstream.destroy());
      this.forward(client, upstream, new MessageFramer('>', true));
      this.forward(upstream, client, new MessageFramer('<', false));
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  /**
   * Cuts every open connection once `after` more protocol messages (counted from now, both ways,
   * on every connection) have been forwarded: the last one whole, nothing after it. New
   * connections are still accepted, as after a quick restart. `disarm()` tells what happened.
   */
  cutAfterMessages(after: number, kind: CutKind = 'close'): void {
    this.armed = { after, kind, seen: [] };
  }

  /**
   * Ends an armed cut (once a cut under way is done): the messages forwarded since it was armed,
   * and when it cut, if it did.
   */
  async disarm(): Promise<{ seen: string[]; cutAt?: number }> {
    const armed = this.armed;
    this.armed = undefined;
    await armed?.cutting;
    return { seen: armed?.seen ?? [], cutAt: armed?.cutAt };
  }

  /** Cuts every open connection at once; new connections are still accepted. Returns when. */
  cutAll(kind: CutKind = 'close'): number {
    for (const socket of this.sockets) {
      if (kind === 'reset' && socket.readyState === 'open') {
        socket.resetAndDestroy();
      } else {
        socket.destroy();
      }
    }
    return performance.now();
  }

  /** Forwards `from` to `to`, with backpressure, counting messages for an armed cut. */
  private forward(from: net.Socket, to: net.Socket, framer: MessageFramer): void {
    from.on('data', (chunk: Buffer) => {
      const armed = this.armed;
      if (armed?.cutting && armed.cutAt === undefined) {
        return;
      }
      for (const { end, name } of framer.messages(chunk)) {
        if (armed && !armed.cutting) {
          armed.seen.push(name);
          if (armed.seen.length === armed.after) {
            // Nothing more passes either way; the last message goes out whole first.
            armed.cutting = new Promise((resolve) =>
              to.write(chunk.subarray(0, end), () => {
                armed.cutAt = this.cutAll(armed.kind);
                resolve();
              }),
            );
            return;
          }
        }
      }
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
  }

  /**
   * Silently drops everything, like a network partition: open connections stay open but nothing
   * passes either way any more, new connections are accepted and then hear nothing. `heal()` ends it.
   */
  partition(): void {
    this.dropping = true;
    for (const socket of this.sockets) {
      socket.removeAllListeners('data');
      // Reads go nowhere, so the sender never sees backpressure either.
      socket.resume();
    }
  }

  /** Ends a partition: new connections pass again (those cut off stay silent until closed). */
  heal(): void {
    this.dropping = false;
  }

  /** Cuts every open connection and refuses new ones. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) {
      socket.destroy();
    }
    if (server) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}
