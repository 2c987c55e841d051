import { EventEmitter } from 'node:events';
import QueryStream from 'pg-query-stream';

/** What pg-cursor keeps of its state, read here and nowhere else. */
interface CursorInternals {
  state?: string;
  connection?: EventEmitter & { stream?: { destroyed?: boolean } };
}

/**
 * pg-query-stream whose destruction always finishes. Destroying a QueryStream closes its cursor
 * and waits for the server's ReadyForQuery; on a connection that died (reset, partition cut by
 * the silence bound) that never comes (node-postgres issue 2642), so the stream never emits
 * 'error' or 'close', the code reading it never learns, and the request hangs for ever. Here a
 * cursor that failed, or a connection that is gone or ends meanwhile, finishes the destruction
 * at once.
 */
export class EndingQueryStream extends QueryStream {
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const cursor = (this as unknown as { cursor: CursorInternals }).cursor;
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
