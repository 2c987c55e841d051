import { EventEmitter } from 'node:events';
import QueryStream from 'pg-query-stream';

/** The socket under a node-postgres connection, as far as this file uses it. */
interface ConnectionSocket {
  destroyed?: boolean;
  cork?: () => void;
  uncork?: () => void;
}

/** What pg-cursor keeps of its state, read here and nowhere else. */
interface CursorInternals {
  state?: string;
  connection?: EventEmitter & { stream?: ConnectionSocket };
  handleCommandComplete(message: unknown): void;
  handleError(error: Error): void;
}

/** Runs `send` with the socket corked: the protocol messages it writes leave in one write. */
function corked(socket: ConnectionSocket | undefined, send: () => void): void {
  socket?.cork?.();
  try {
    send();
  } finally {
    socket?.uncork?.();
  }
}

/**
 * pg-query-stream whose destruction always finishes. Destroying a QueryStream closes its cursor
 * and waits for the server's ReadyForQuery; on a connection that died (reset, partition cut by
 * the silence bound) that never comes (node-postgres issue 2642), so the stream never emits
 * 'error' or 'close', the code reading it never learns, and the request hangs for ever. Here a
 * cursor that failed, or a connection that is gone or ends meanwhile, finishes the destruction
 * at once.
 *
 * A connection that dies while the cursor waits for the server's ReadyForQuery after its last
 * rows ends the stream with that error too. node-postgres errors every query the connection had,
 * but pg-cursor ignores an error once its portal is closed, and hands its last batch over only on
 * ReadyForQuery (node-postgres issue 2468): the reader, a rename in its transaction or a streamed
 * list, would wait for ever, a round trip's window at the end of every cursor.
 *
 * It also writes less: pg-cursor sends each protocol message with a write of its own (parse,
 * bind, describe, flush; execute, flush; close, sync). Here the first batch's execute goes out
 * with the parse, and the close with its sync, each group in one write (issue 11: a small rename
 * made six writes and waited on the server between them).
 */
export class EndingQueryStream extends QueryStream {
  constructor(...args: ConstructorParameters<typeof QueryStream>) {
    super(...args);
    const cursor = this.cursorInternals();
    this.handleCommandComplete = (message: unknown) =>
      corked(cursor.connection?.stream, () => cursor.handleCommandComplete(message));
    this.handleError = (error: Error) => {
      const awaitingLastRows = cursor.state === 'done';
      cursor.handleError(error);
      if (awaitingLastRows) {
        this.destroy(error);
      }
    };
  }

  override submit(connection: Parameters<QueryStream['submit']>[0]): void {
    const socket = (connection as unknown as { stream?: ConnectionSocket }).stream;
    corked(socket, () => {
      super.submit(connection);
      // Asks for the first batch now (the cursor sends its execute at once while submitted),
      // rather than when the reader first pulls, a write and a server wake-up later.
      this.read(0);
    });
  }

  private cursorInternals(): CursorInternals {
    return (this as unknown as { cursor: CursorInternals }).cursor;
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const cursor = this.cursorInternals();
    const connection = cursor.connection;
    if (cursor.state === 'error' || !connection || connection.stream?.destroyed) {
      callback(error);
      return;
    }
    let finished = false;
    const finish = (closeError?: Error | null) => {
      if (!finished) {
        finished = true;
        connection.off('end', onEnd);
        callback(closeError ?? error);
      }
    };
    const onEnd = () => finish(error);
    connection.once('end', onEnd);
    super._destroy(error as Error, finish);
  }
}
