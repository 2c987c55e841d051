import * as http from 'node:http';
import { performance } from 'node:perf_hooks';

/** Below the server's 5 s keep-alive timeout, with room for a late event loop. */
const IDLE_REUSE_MS = 3000;

export interface HttpResponse {
  status: number;
  /** Bytes of body read (the body is always read to its end). */
  bytes: number;
  /** The body as text, only when asked for. */
  body?: string;
  contentType?: string;
}

/** A keep-alive HTTP/1.1 client for one server, with at most `connections` sockets. */
export class HttpClient {
  private agent: http.Agent;
  private readonly url: URL;
  private lastUsedAt = Number.NEGATIVE_INFINITY;
  private inFlight = 0;

  constructor(
    baseUrl: string,
    private readonly connections: number,
  ) {
    this.url = new URL(baseUrl);
    this.agent = this.newAgent();
  }

  private newAgent(): http.Agent {
    return new http.Agent({
      keepAlive: true,
      maxSockets: this.connections,
      maxFreeSockets: this.connections,
    });
  }

  /** Sends a request (with `body`, if given) and reads the whole answer; keepBody returns it as text. */
  request(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    keepBody = false,
    body?: string,
  ): Promise<HttpResponse> {
    // Node's server drops a keep-alive socket after 5 s idle. When the bench has just run
    // synchronous work for seconds (Langflow's loop on better-sqlite3), that close is still unread
    // and a request sent on the socket dies with "socket hang up": such sockets are not reused.
    // Only when nothing is in flight: destroying the agent would cut those requests too.
    if (this.inFlight === 0 && performance.now() - this.lastUsedAt > IDLE_REUSE_MS) {
      this.agent.destroy();
      this.agent = this.newAgent();
    }
    this.inFlight += 1;
    this.lastUsedAt = performance.now();
    let settled = false;
    const settle = () => {
      if (!settled) {
        settled = true;
        this.inFlight -= 1;
        this.lastUsedAt = performance.now();
      }
    };
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          agent: this.agent,
          hostname: this.url.hostname,
          port: this.url.port,
          method,
          path,
          headers:
            body === undefined
              ? headers
              : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        },
        (response) => {
          let bytes = 0;
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (keepBody) {
              chunks.push(chunk);
            }
          });
          response.on('end', () => {
            settle();
            resolve({
              status: response.statusCode ?? 0,
              bytes,
              body: keepBody ? Buffer.concat(chunks).toString('utf8') : undefined,
              contentType: response.headers['content-type'],
            });
          });
          response.on('error', (error) => {
            settle();
            reject(error);
          });
        },
      );
      request.on('error', (error) => {
        settle();
        reject(error);
      });
      request.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
