import { Socket } from 'node:net';
import { Client, ClientConfig } from 'pg';

/** The bounds every PostgreSQL connection of the service works within (see ScaleConfig). */
export interface DatabaseWaitBounds {
  statementTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
}

/** What node-postgres keeps of a client's state, read here and nowhere else. */
interface ClientInternals {
  connection?: { stream?: Socket };
  _activeQuery?: unknown;
  _queryQueue?: unknown[];
}

const UNBOUNDED = Symbol('unbounded');

/**
 * Runs work (migrations: a lock wait behind another replica, an index build) on `client` with no
 * statement bound: the caller's transaction lifts the server-side one itself with `SET LOCAL`.
 */
export async function withoutSilenceBound<T>(client: unknown, work: () => Promise<T>): Promise<T> {
  const marked = client as { [UNBOUNDED]?: boolean };
  marked[UNBOUNDED] = true;
  try {
    return await work();
  } finally {
    marked[UNBOUNDED] = false;
  }
}

/** The error a connection ends with when PostgreSQL stays silent past the bound. */
export class DatabaseSilentError extends Error {
  readonly code = 'ETIMEDOUT';
}

/**
 * A node-postgres client whose every wait is bounded, with nothing set on the session, so that it
 * works the same directly and through PgBouncer in transaction mode:
 * - every transaction starts with `SET LOCAL statement_timeout` and
 *   `SET LOCAL idle_in_transaction_session_timeout`, sent in the same round trip as its
 *   `START TRANSACTION` (settings that end with the transaction, so they never leak to whoever
 *   gets the server connection next);
 * - a connection with a statement in flight that receives nothing for the statement timeout plus
 *   a grace period is destroyed: a silent network partition, which TCP would take minutes to
 *   notice, ends the statement with an error (answered 503), and the pool opens a fresh connection
 *   for the next request. Statements outside a transaction are bounded by this alone.
 */
export function boundedClientClass(bounds: DatabaseWaitBounds): typeof Client {
  const transactionStart = [
    'START TRANSACTION',
    `SET LOCAL statement_timeout = ${Math.round(bounds.statementTimeoutMs)}`,
    `SET LOCAL idle_in_transaction_session_timeout = ${Math.round(bounds.idleInTransactionTimeoutMs)}`,
  ].join('; ');
  // The server's own timeout answers first; the client gives up only on a connection gone silent.
  const silenceMs = bounds.statementTimeoutMs + Math.min(5000, bounds.statementTimeoutMs);

  class BoundedPgClient extends Client {
    constructor(config?: string | ClientConfig) {
      super(config);
      this.once('connect', () => this.watchSilence());
    }

    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- node-postgres's query() has a dozen overloads; this only rewrites one text.
    override query(config: any, values?: any, callback?: any): any {
      // TypeORM starts every transaction with exactly this text and no parameters.
      /* eslint-disable @typescript-eslint/no-unsafe-argument */
      return super.query(
        config === 'START TRANSACTION' ? transactionStart : config,
        values,
        callback,
      );
      /* eslint-enable @typescript-eslint/no-unsafe-argument */
    }

    /** Destroys the connection when a statement waits on a server that has gone silent. */
    private watchSilence(): void {
      const internals = this as unknown as ClientInternals;
      const socket = internals.connection?.stream;
      if (!socket || typeof socket.setTimeout !== 'function') {
        return;
      }
      // The socket's idle timer restarts on every byte sent or received; it fires on an idle
      // pooled connection too, which is left alone.
      socket.setTimeout(silenceMs, () => {
        if ((this as { [UNBOUNDED]?: boolean })[UNBOUNDED]) {
          return;
        }
        if ((internals._activeQuery ?? null) !== null || (internals._queryQueue?.length ?? 0) > 0) {
          socket.destroy(
            new DatabaseSilentError(
              `PostgreSQL sent nothing for ${silenceMs} ms while a statement was in flight`,
            ),
          );
        }
      });
    }
  }
  return BoundedPgClient;
}
