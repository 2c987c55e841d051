import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { NextFunction, Request, Response } from 'express';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DataSource } from 'typeorm';
import { routeTemplate } from '../common/http/route-template';
import { RowStreamer } from '../database/row-streamer';
import { sentStatus } from '../logging/response-bytes';

/** What pg's Pool tells about itself. */
interface PoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

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

  constructor(@InjectDataSource() dataSource: DataSource, rows: RowStreamer) {
    collectDefaultMetrics({ register: this.registry });
    if (dataSource.options.type === 'postgres') {
      new Gauge({
        name: 'db_pool_connections',
        help: 'PostgreSQL pool connections: all open ones, the idle ones, and requests waiting for one.',
        labelNames: ['state'] as const,
        registers: [this.registry],
        collect() {
          const pool = (dataSource.driver as unknown as { master?: PoolCounts }).master;
          this.set({ state: 'total' }, pool?.totalCount ?? 0);
          this.set({ state: 'idle' }, pool?.idleCount ?? 0);
          this.set({ state: 'waiting' }, pool?.waitingCount ?? 0);
        },
      });
    } else {
      new Gauge({
        name: 'sqlite_reader_connections',
        help: 'Read-only SQLite connections that stream answers: busy now, or kept idle.',
        labelNames: ['state'] as const,
        registers: [this.registry],
        collect() {
          const readers = rows.sqliteReaders;
          this.set({ state: 'busy' }, readers.busy);
          this.set({ state: 'idle' }, readers.idle);
        },
      });
    }
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
