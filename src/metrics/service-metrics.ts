import { Injectable, Logger } from '@nestjs/common';
import { NextFunction, Request, Response } from 'express';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { routeTemplate } from '../common/http/route-template';
import { DatabaseDialect } from '../database/dialect/database-dialect';
import { ReadCounters } from '../database/replicas/replica-reads';
import { sentStatus } from '../logging/response-bytes';

/** What /metrics shows of one read replica. */
interface ReplicaView {
  name: string;
  state: string;
  lagSeconds: number;
}

const REPLICA_STATES = ['up', 'lagging', 'down', 'not_replica'] as const;

/**
 * The service's Prometheus metrics, in a registry of its own (several apps can live in one test
 * process): HTTP requests by route template, renames and ingests, the database connections, and
 * prom-client's process and GC metrics.
 */
@Injectable()
export class ServiceMetrics {
  readonly registry = new Registry();

  private readonly logger = new Logger(ServiceMetrics.name);

  private readonly requestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help:
      'Time from a request arriving to its response ending, by method, route template and status ' +
      '(the status sent; "aborted": cut after it began; "none": the connection closed first).',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  private readonly inFlight = new Gauge({
    name: 'http_requests_in_flight',
    help: 'Requests being handled now.',
    registers: [this.registry],
  });

  private readonly renameMoved = new Histogram({
    name: 'monitor_rename_moved_messages',
    help: 'Messages one session rename moved.',
    buckets: [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000],
    registers: [this.registry],
  });

  private readonly ingested = new Counter({
    name: 'monitor_ingested_messages_total',
    help: 'Messages stored through POST /api/v1/monitor/messages.',
    registers: [this.registry],
  });

  private readonly traceSpans = new Counter({
    name: 'monitor_trace_spans_total',
    help:
      'Spans of traces received, by the route they came through (json: POST ' +
      '/api/v1/monitor/traces; otlp: POST /v1/traces) and what became of them (stored; rejected; ' +
      'held, over OTLP, until a span names the flow; expired, held and never joined).',
    labelNames: ['source', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor(dialect: DatabaseDialect) {
    collectDefaultMetrics({ register: this.registry });
    const connections = dialect.connectionGauge();
    new Gauge({
      name: connections.name,
      help: connections.help,
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        for (const [state, count] of Object.entries(connections.counts())) {
          this.set({ state }, count);
        }
      },
    });
  }

  /**
   * The read replicas' metrics, registered only when there are replicas (DATABASE_READ_URLS):
   * each one's state and lag as last polled, read at each scrape, and where reads went.
   */
  watchReadReplicas(replicas: () => readonly ReplicaView[]): ReadCounters {
    new Gauge({
      name: 'db_replica_lag_seconds',
      help: 'How far each read replica was behind the primary at its last poll, in seconds.',
      labelNames: ['replica'] as const,
      registers: [this.registry],
      collect() {
        for (const replica of replicas()) {
          this.set({ replica: replica.name }, replica.lagSeconds);
        }
      },
    });
    new Gauge({
      name: 'db_replica_state',
      help:
        "Each read replica's state: 1 for the one it is in (up: gets reads; lagging: further " +
        'behind than DATABASE_READ_MAX_LAG; down: unreachable; not_replica: not in recovery).',
      labelNames: ['replica', 'state'] as const,
      registers: [this.registry],
      collect() {
        for (const replica of replicas()) {
          for (const state of REPLICA_STATES) {
            this.set({ replica: replica.name, state }, replica.state === state ? 1 : 0);
          }
        }
      },
    });
    const reads = new Counter({
      name: 'db_reads_total',
      help: 'Reads of the read routes, by the server that served them: primary, or a replica.',
      labelNames: ['target'] as const,
      registers: [this.registry],
    });
    const fallbacks = new Counter({
      name: 'db_replica_read_fallbacks_total',
      help: 'Reads that failed on a replica before any row and were served by the primary.',
      labelNames: ['replica'] as const,
      registers: [this.registry],
    });
    return {
      read: (target) => reads.inc({ target }),
      fallback: (replica) => fallbacks.inc({ replica }),
    };
  }

  /**
   * Express middleware: times every request and counts it while in flight. Its status label is
   * the status the client was sent; `aborted` when the answer began but was cut (the client left,
   * a stream failed, the shutdown deadline); `none` when the connection closed before any answer.
   */
  readonly observeRequests = (request: Request, response: Response, next: NextFunction): void => {
    this.inFlight.inc();
    const stopTimer = this.requestDuration.startTimer();
    // A response emits 'close' once, after 'finish' or when the connection went first. Nothing may
    // be thrown out of it: it runs after the answer, and the process would end.
    response.once('close', () => {
      try {
        this.inFlight.dec();
        stopTimer({
          method: request.method,
          // Unknown paths share one label: a scanner cannot grow the series without bound.
          route: routeTemplate(request) ?? 'unmatched',
          status: statusLabel(response),
        });
      } catch (error) {
        this.reportFailure('could not record a request', error);
      }
    });
    next();
  };

  /** A bug in the metrics is reported, never thrown: the process must live. */
  private reportFailure(what: string, error: unknown): void {
    try {
      this.logger.error(
        `${what}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    } catch {
      // The logger itself is failing: there is nowhere left to report to.
    }
  }

  /**
   * Express handler of GET /metrics, in Prometheus's text format. Its callers do not await it: a
   * failing collector is answered 500 and logged, never left as an unhandled rejection.
   */
  readonly serve = async (_request: IncomingMessage, response: ServerResponse): Promise<void> => {
    let text: string;
    try {
      text = await this.registry.metrics();
    } catch (error) {
      this.reportFailure('could not collect the metrics', error);
      if (!response.headersSent) {
        response.statusCode = 500;
        response.setHeader('Content-Type', 'application/json');
      }
      response.end('{"detail":"Internal server error"}');
      return;
    }
    response.setHeader('Content-Type', this.registry.contentType);
    response.end(text);
  };

  recordRename(moved: number): void {
    this.renameMoved.observe(moved);
  }

  recordIngest(count: number): void {
    this.ingested.inc(count);
  }

  recordTraceSpans(
    source: 'json' | 'otlp',
    outcome: 'stored' | 'rejected' | 'held' | 'expired',
    count: number,
  ): void {
    this.traceSpans.inc({ source, outcome }, count);
  }
}

function statusLabel(response: Response): string {
  const status = sentStatus(response);
  if (status === null) {
    return 'none';
  }
  return response.writableFinished ? String(status) : 'aborted';
}
