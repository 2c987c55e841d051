import { context, Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  InstrumentationBase,
  InstrumentationConfig,
  InstrumentationNodeModuleDefinition,
} from '@opentelemetry/instrumentation';
import {
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_SYSTEM_NAME,
} from '@opentelemetry/semantic-conventions';
import type Database from 'better-sqlite3';
import type QueryStream from 'pg-query-stream';
import { packageVersion } from '../cli/package-version';

type SqliteStatement = Database.Statement<unknown[], unknown>;
type StatementCall = (this: SqliteStatement, ...parameters: unknown[]) => unknown;
type StatementIterate = (this: SqliteStatement, ...parameters: unknown[]) => Iterator<unknown>;
type DatabaseExec = (this: Database.Database, source: string) => Database.Database;

interface StatementMethods {
  run: StatementCall;
  get: StatementCall;
  all: StatementCall;
  iterate: StatementIterate;
}

/** The statement's first keyword, upper-cased (SELECT, UPDATE, BEGIN), as instrumentation-pg names it. */
export function operationName(sql: string): string {
  return /^\s*([A-Za-z]+)/.exec(sql)?.[1].toUpperCase() ?? 'UNKNOWN';
}

function fail(span: Span, error: unknown): void {
  if (error instanceof Error) {
    span.recordException(error);
  }
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

/** An iterator over a statement's rows that ends `span` when the rows end, fail or are left. */
function spannedRows(rows: Iterator<unknown>, span: Span): IterableIterator<unknown> {
  let open = true;
  const close = (error?: { cause: unknown }) => {
    if (open) {
      open = false;
      if (error) {
        fail(span, error.cause);
      }
      span.end();
    }
  };
  return {
    next() {
      try {
        const step = rows.next();
        if (step.done) {
          close();
        }
        return step;
      } catch (error) {
        close({ cause: error });
        throw error;
      }
    },
    return(value?: unknown) {
      close();
      return rows.return ? rows.return(value) : { done: true, value };
    },
    [Symbol.iterator]() {
      return this;
    },
  };
}

/**
 * A span per database statement that the stock instrumentations miss:
 * - better-sqlite3, which has no OpenTelemetry instrumentation: every statement the service runs
 *   on SQLite (TypeORM's, the row streamer's, pragmas) goes through a prepared statement's
 *   run/get/all/iterate or through exec, so those are wrapped. An iterated read's span lasts
 *   until its last row is read or the reader stops.
 * - pg-query-stream (the row streamer's cursors on PostgreSQL): instrumentation-pg spans a query
 *   object that carries its SQL as `text` and ends the span when the query's `callback` runs, but
 *   a QueryStream keeps its SQL in its cursor and has no callback, so its span never ended and was
 *   never exported. The streams are given both; QueryStream calls the callback when its cursor
 *   ends (all rows read, or closed early) or fails.
 * Like instrumentation-pg with requireParentSpan, only statements made inside a traced request get
 * a span, not the migrations at start or the background sweeps.
 */
export class StatementInstrumentation extends InstrumentationBase {
  constructor(config: InstrumentationConfig = {}) {
    super('monitor-service-statements', packageVersion(), config);
  }

  protected override init() {
    return [
      new InstrumentationNodeModuleDefinition(
        'better-sqlite3',
        ['>=11 <13'],
        (exports: typeof Database) => this.patchSqlite(exports),
        (exports: typeof Database) => this.unpatchSqlite(exports),
      ),
      new InstrumentationNodeModuleDefinition(
        'pg-query-stream',
        ['>=4 <5'],
        (exports: typeof QueryStream) => withQueryText(exports),
        () => undefined,
      ),
    ];
  }

  private statementPrototype(exports: typeof Database): StatementMethods {
    // Statement is the native addon's class; better-sqlite3 exports only Database.
    const probe = new exports(':memory:');
    try {
      return Object.getPrototypeOf(probe.prepare('SELECT 1')) as StatementMethods;
    } finally {
      probe.close();
    }
  }

  private patchSqlite(exports: typeof Database): typeof Database {
    const statements = this.statementPrototype(exports);
    const startSpan = (sql: string, file: string) => this.startSpan(sql, file);
    for (const method of ['run', 'get', 'all'] as const) {
      this._wrap(statements, method, (original: StatementCall): StatementCall => {
        return function (this: SqliteStatement, ...parameters: unknown[]) {
          const span = startSpan(this.source, this.database.name);
          if (!span) {
            return original.apply(this, parameters);
          }
          try {
            return original.apply(this, parameters);
          } catch (error) {
            fail(span, error);
            throw error;
          } finally {
            span.end();
          }
        };
      });
    }
    this._wrap(statements, 'iterate', (original: StatementIterate): StatementIterate => {
      return function (this: SqliteStatement, ...parameters: unknown[]) {
        const span = startSpan(this.source, this.database.name);
        if (!span) {
          return original.apply(this, parameters);
        }
        try {
          return spannedRows(original.apply(this, parameters), span);
        } catch (error) {
          fail(span, error);
          span.end();
          throw error;
        }
      };
    });
    const database = exports.prototype as unknown as { exec: DatabaseExec };
    this._wrap(database, 'exec', (original: DatabaseExec): DatabaseExec => {
      return function (this: Database.Database, source: string) {
        const span = startSpan(source, this.name);
        if (!span) {
          return original.call(this, source);
        }
        try {
          return original.call(this, source);
        } catch (error) {
          fail(span, error);
          throw error;
        } finally {
          span.end();
        }
      };
    });
    return exports;
  }

  private unpatchSqlite(exports: typeof Database): void {
    const statements = this.statementPrototype(exports);
    for (const method of ['run', 'get', 'all', 'iterate'] as const) {
      this._unwrap(statements, method);
    }
    this._unwrap(exports.prototype, 'exec');
  }

  /** A statement's span, named as instrumentation-pg names PostgreSQL's; none outside a trace. */
  private startSpan(sql: string, file: string): Span | undefined {
    const parent = context.active();
    if (trace.getSpan(parent) === undefined) {
      return undefined;
    }
    const operation = operationName(sql);
    return this.tracer.startSpan(
      `sqlite.query:${operation}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR_DB_SYSTEM_NAME]: 'sqlite',
          [ATTR_DB_NAMESPACE]: file,
          [ATTR_DB_OPERATION_NAME]: operation,
          [ATTR_DB_QUERY_TEXT]: sql,
        },
      },
      parent,
    );
  }
}

/** QueryStream with the two properties instrumentation-pg reads (see StatementInstrumentation). */
function withQueryText(Base: typeof QueryStream): typeof QueryStream {
  return class SpannedQueryStream extends Base {
    readonly text: string;

    constructor(text: string, values?: unknown[], config?: QueryStream.Config) {
      super(text, values, config);
      this.text = text;
      // instrumentation-pg wraps an existing callback to end its span; this one has nothing to do.
      this.callback = () => undefined;
    }
  };
}
