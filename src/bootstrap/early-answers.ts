import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** How much of a body, and for how long, is read and thrown away after an early answer. */
export interface DrainLimits {
  drainLimitBytes: number;
  drainTimeoutMs: number;
}

/** Requests whose client waits for a 100 Continue that has not been sent (yet). */
const awaitingContinue = new WeakSet<IncomingMessage>();

/**
 * Makes an answer sent before the request's body was read (a 403 without a key, a 413 from the
 * declared length, a 415, a 404...) reach every client, then closes the connection.
 *
 * Many clients (Python's urllib and requests among them) write the whole body before they read
 * anything. Closing the connection as soon as the answer is out, as Node does for a client that
 * asked for `Connection: close`, resets it under them while they still write, and they see a
 * broken pipe instead of the answer. So the answer is written, the rest of the body is read and
 * thrown away, and only then is the response ended and the connection closed. The reading is
 * bounded: a body declared longer than `drainLimitBytes` is not read at all (the connection is
 * closed once the answer is out), and a client that sends more than that, or for longer than
 * `drainTimeoutMs`, is cut.
 *
 * `Expect: 100-continue`: 100 Continue is sent only when something starts reading the body, so
 * a request refused before that (too large by its declared length, no key, a type or coding the
 * service does not take) gets its final status at once, and its client never sends the body.
 */
export function drainAfterEarlyAnswers(server: Server, limits: DrainLimits): void {
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    awaitingContinue.add(request);
    const onListener = (event: string | symbol) => {
      if (event !== 'data' && event !== 'readable') {
        return;
      }
      request.off('newListener', onListener);
      if (awaitingContinue.delete(request) && !response.headersSent) {
        response.writeContinue();
      }
    };
    request.on('newListener', onListener);
    server.emit('request', request, response);
  });
  // Before Express's own listener, which may answer at once (a 413 from the declared length).
  server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    if (hasBody(request) && !request.complete) {
      endAfterDraining(request, response, limits);
    }
  });
}

function hasBody(request: IncomingMessage): boolean {
  return (
    request.headers['transfer-encoding'] !== undefined ||
    Number(request.headers['content-length'] ?? 0) > 0
  );
}

/** Wraps `response.end` so that an answer given while the body is still coming drains it first. */
function endAfterDraining(
  request: IncomingMessage,
  response: ServerResponse,
  limits: DrainLimits,
): void {
  const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse;
  response.end = ((...args: unknown[]) => {
    response.end = end as typeof response.end;
    if (request.complete || request.socket.destroyed) {
      return end(...args);
    }
    if (!response.headersSent) {
      response.setHeader('Connection', 'close');
    }
    const declared = Number(request.headers['content-length']);
    // A client waiting for 100 Continue sends no body; one declared past the limit would be cut
    // anyway. Either way Node closes the connection once the answer is out.
    if (
      awaitingContinue.has(request) ||
      (declared > limits.drainLimitBytes && !response.headersSent)
    ) {
      return end(...args);
    }
    const callback = typeof args.at(-1) === 'function' ? args.pop() : undefined;
    const [chunk, encoding] = args as [string | Buffer | undefined, BufferEncoding | undefined];
    if (chunk === undefined || chunk === null) {
      response.flushHeaders();
    } else if (encoding === undefined) {
      response.write(chunk);
    } else {
      response.write(chunk, encoding);
    }
    drain(request, limits, () => {
      end(...(callback ? [callback] : []));
    });
    return response;
  }) as typeof response.end;
}

/** Reads the rest of the body and throws it away; `done` once it has ended, a cut past a bound. */
function drain(request: IncomingMessage, limits: DrainLimits, done: () => void): void {
  let discarded = 0;
  const stop = () => {
    clearTimeout(timer);
    request.off('data', onData);
    request.off('end', onEnd);
    request.off('close', stop);
  };
  const cut = () => {
    stop();
    request.socket.destroy();
  };
  const onData = (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > limits.drainLimitBytes) {
      cut();
    }
  };
  const onEnd = () => {
    stop();
    done();
  };
  const timer = setTimeout(cut, limits.drainTimeoutMs);
  request.on('data', onData);
  request.once('end', onEnd);
  // A client that goes away ends the drain with its connection.
  request.once('close', stop);
  request.unpipe();
  request.resume();
}
