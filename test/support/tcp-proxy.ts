import * as net from 'node:net';

/**
 * A loopback TCP proxy in front of a real database server, so that a test can make the database
 * unreachable (connections cut, new ones refused) and bring it back, without touching the server.
 */
export class TcpProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private dropping = false;
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
      for (const socket of [upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  /**
   * Silently drops everything, like a network partition: open connections stay open but nothing
   * passes either way any more, new connections are accepted and then hear nothing. `heal()` ends it.
   */
  partition(): void {
    this.dropping = true;
    for (const socket of this.sockets) {
      socket.unpipe();
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
