import * as net from 'node:net';

/**
 * A client that gives up before the answer: it sends a request's headers announcing a body, with
 * `Expect: 100-continue`, waits for the server's `100 Continue` (sent once the service starts
 * reading the body, so only to a caller with a valid key, and the request is being handled by
 * then), and hangs up without sending the body. Resolves once the connection is closed.
 */
export async function abandonRequest(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<void> {
  const { hostname, port } = new URL(baseUrl);
  const socket = net.connect(Number(port), hostname);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('closed before 100 Continue')));
      let received = '';
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
        if (received.startsWith('HTTP/1.1 100')) {
          resolve();
        } else if (received.includes('\r\n\r\n')) {
          reject(new Error(`answered instead of 100 Continue: ${received.split('\r\n')[0]}`));
        }
      });
      const lines = [
        `${method} ${path} HTTP/1.1`,
        `Host: ${hostname}:${port}`,
        'Content-Type: application/json',
        'Content-Length: 1000',
        'Expect: 100-continue',
        ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      ];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
  } finally {
    if (!socket.closed) {
      await new Promise((resolve) => {
        socket.once('close', resolve);
        socket.destroy();
      });
    }
  }
}
