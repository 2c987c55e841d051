import { spawn } from 'node:child_process';
import * as net from 'node:net';

/*
 * Clients that write a request's whole body before they read anything, as Python's urllib and
 * requests do: an answer sent before the body was read reaches them only if the server goes on
 * reading (and discarding) the body rather than closing the connection under them.
 */

/** What such a client ends with: the answer, or the error that stopped it. */
export interface WholeBodyResult {
  status?: number;
  body?: string;
  error?: string;
}

const URLLIB_SCRIPT = `
import json, sys, urllib.error, urllib.request
spec = json.loads(sys.argv[1])
data = spec['fill'].encode() * spec['size']
request = urllib.request.Request(spec['url'], data=data, method=spec['method'], headers=spec['headers'])
try:
    with urllib.request.urlopen(request, timeout=20) as response:
        print(json.dumps({'status': response.status, 'body': response.read().decode()}))
except urllib.error.HTTPError as error:
    print(json.dumps({'status': error.code, 'body': error.read().decode()}))
except Exception as error:
    print(json.dumps({'error': type(error).__name__ + ': ' + str(error)}))
`;

/**
 * Sends the request with Python's urllib (python3 must be on the PATH): `size` copies of `fill`
 * as the body. Run as a child process so that the server in this process keeps answering.
 */
export function urllibRequest(options: {
  url: string;
  method: string;
  headers: Record<string, string>;
  fill: string;
  size: number;
}): Promise<WholeBodyResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', URLLIB_SCRIPT, JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`python3 exited with ${code}: ${stderr}`));
        return;
      }
      resolve(JSON.parse(stdout) as WholeBodyResult);
    });
  });
}

/**
 * The same with Node's own socket: writes the head and the whole body, waits until every byte is
 * handed to the connection, and only then looks at what came back (up to `waitMs` more for it).
 * A failed write is the client's error, whatever the server had sent before it.
 */
export function writeWholeThenRead(
  port: number,
  head: string,
  body: Buffer,
  waitMs = 10_000,
): Promise<WholeBodyResult> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (result: WholeBodyResult) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        resolve(result);
      }
    };
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', (error) => finish({ error: `${error.name}: ${error.message}` }));
    socket.on('connect', () => {
      socket.write(head);
      socket.write(body, (error) => {
        if (error) {
          finish({ error: `${error.name}: ${error.message}` });
          return;
        }
        const answer = () => {
          const text = Buffer.concat(received).toString('utf8');
          const end = text.indexOf('\r\n\r\n');
          if (end < 0) {
            return undefined;
          }
          const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end));
          const rest = text.slice(end + 4);
          if (length && Buffer.byteLength(rest) < Number(length[1])) {
            return undefined;
          }
          return { status: Number(text.split(' ')[1]), body: rest };
        };
        const check = () => {
          const result = answer();
          if (result) {
            finish(result);
          }
        };
        check();
        socket.on('data', check);
        socket.on('close', () => finish(answer() ?? { error: 'closed without an answer' }));
        timer = setTimeout(
          () => finish(answer() ?? { error: `no answer in ${waitMs} ms` }),
          waitMs,
        );
      });
    });
  });
}
