import * as http from 'node:http';

export interface HttpResponse {
  status: number;
  /** Bytes of body read (the body is always read to its end). */
  bytes: number;
  /** The body as text, only when asked for. */
  body?: string;
}

/** A keep-alive HTTP/1.1 client for one server, with at most `connections` sockets. */
export class HttpClient {
  private readonly agent: http.Agent;
  private readonly url: URL;

  constructor(baseUrl: string, connections: number) {
    this.url = new URL(baseUrl);
    this.agent = new http.Agent({
      keepAlive: true,
      maxSockets: connections,
      maxFreeSockets: connections,
    });
  }

  /** Sends a request without body and reads the whole answer; keepBody returns it as text. */
  request(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    keepBody = false,
  ): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          agent: this.agent,
          hostname: this.url.hostname,
          port: this.url.port,
          method,
          path,
          headers,
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
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              bytes,
              body: keepBody ? Buffer.concat(chunks).toString('utf8') : undefined,
            }),
          );
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
