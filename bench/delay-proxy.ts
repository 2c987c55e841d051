import * as net from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * A loopback TCP proxy that holds every chunk for a fixed delay in each direction, to put a
 * network between a client and PostgreSQL on the same machine. Run as a child process (its
 * waits block its own thread): `node -r ts-node/register/transpile-only bench/delay-proxy.ts`
 * with PROXY_TARGET_HOST, PROXY_TARGET_PORT and PROXY_DELAY_MS; it prints `listening on PORT`.
 *
 * Node's timers have a resolution of 1 ms, too coarse for a 0.5 ms delay, so the last stretch
 * of each wait is a blocking sleep (Atomics.wait, no CPU) and a spin of about 0.1 ms. Chunks keep their
 * order per direction, and chunks in flight overlap (a stream of rows is delayed once, not once
 * per chunk), as on a real link; a chunk read while the proxy sleeps is late by at most that
 * sleep, so a delay is between 1x and 2x the set one under streaming, and 1x for a lone chunk.
 */

interface Pending {
  due: number;
  chunk: Buffer;
  to: net.Socket;
}

/** Bytes held for one destination above which its source is paused. */
const HIGH_WATER = 8 * 1024 * 1024;

const delayMs = Number(process.env.PROXY_DELAY_MS ?? '0.5');
const targetHost = process.env.PROXY_TARGET_HOST ?? '127.0.0.1';
const targetPort = Number(process.env.PROXY_TARGET_PORT ?? '5432');
const sleeper = new Int32Array(new SharedArrayBuffer(4));

// Every delay is the same, so due times grow in arrival order: one FIFO queue for all sockets.
const queue: Pending[] = [];
let head = 0;
let timer: NodeJS.Timeout | undefined;
let immediate: NodeJS.Immediate | undefined;
const held = new Map<net.Socket, number>();

function flush(): void {
  timer = undefined;
  immediate = undefined;
  let slept = false;
  let now = performance.now();
  while (head < queue.length) {
    const next = queue[head];
    const wait = next.due - now;
    if (wait > 2.5) {
      // Node's timers may fire a millisecond late: the rest is slept.
      timer = setTimeout(flush, Math.floor(wait) - 1);
      break;
    }
    if (wait > 0) {
      if (slept) {
        // Back to the event loop between two sleeps, to read what came meanwhile.
        immediate = setImmediate(flush);
        break;
      }
      sleepUntil(next.due);
      slept = true;
      now = performance.now();
      continue;
    }
    head += 1;
    if (!next.to.destroyed) {
      next.to.write(next.chunk);
    }
    release(next.to, next.chunk.length);
    now = performance.now();
  }
  if (head === queue.length) {
    queue.length = 0;
    head = 0;
  }
}

/** How much longer than asked Atomics.wait sleeps here, measured at start. */
const oversleepMs = (() => {
  const startedAt = performance.now();
  for (let i = 0; i < 20; i += 1) {
    Atomics.wait(sleeper, 0, 0, 0.2);
  }
  return Math.max(0, (performance.now() - startedAt) / 20 - 0.2);
})();

/** Sleeps without CPU to just before `due`, then spins the last few microseconds. */
function sleepUntil(due: number): void {
  const wait = due - performance.now() - oversleepMs;
  if (wait > 0) {
    Atomics.wait(sleeper, 0, 0, wait);
  }
  while (performance.now() < due) {
    // The oversleep margin: about a tenth of a millisecond.
  }
}

function schedule(): void {
  if (timer === undefined && immediate === undefined) {
    flush();
  }
}

const sources = new Map<net.Socket, net.Socket>();

function release(to: net.Socket, bytes: number): void {
  const left = (held.get(to) ?? 0) - bytes;
  held.set(to, left);
  const source = sources.get(to);
  if (left < HIGH_WATER && source?.isPaused()) {
    source.resume();
  }
}

function pipeDelayed(from: net.Socket, to: net.Socket): void {
  sources.set(to, from);
  from.on('data', (chunk: Buffer) => {
    queue.push({ due: performance.now() + delayMs, chunk, to });
    const total = (held.get(to) ?? 0) + chunk.length;
    held.set(to, total);
    if (total >= HIGH_WATER) {
      from.pause();
    }
    schedule();
  });
  // The other side learns of an end or an error after the data sent before it.
  const finish = () => {
    queue.push({ due: performance.now() + delayMs, chunk: Buffer.alloc(0), to });
    schedule();
    setTimeout(() => to.end(), Math.ceil(delayMs) + 5);
  };
  from.on('end', finish);
  from.on('error', () => to.destroy());
  from.on('close', () => {
    sources.delete(to);
    held.delete(to);
  });
}

const server = net.createServer((client) => {
  const upstream = net.connect(targetPort, targetHost);
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  pipeDelayed(client, upstream);
  pipeDelayed(upstream, client);
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening on ${(server.address() as net.AddressInfo).port}\n`);
});
process.once('SIGTERM', () => process.exit(0));
