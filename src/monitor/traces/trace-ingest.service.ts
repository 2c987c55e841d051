import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuthenticatedUser } from '../../auth/authenticated-user';
import { uuidV7 } from '../../common/ids/uuid-v7';
import { nowIso } from '../../common/time';
import { isUniqueViolation } from '../../database/database-errors';
import { firstExistingId, insertRows } from '../../database/insert-rows';
import { TransactionRunner } from '../../database/transaction-runner';
import { ServiceMetrics } from '../../metrics/service-metrics';
import { DomainError } from '../../common/errors/domain.error';
import { FlowClaimService } from '../flow-claim.service';
import { refuseRepeatedIds } from '../repeated-ids';
import { maskSecrets } from '../transactions/secret-masking';
import { CreateSpanDto } from './dto/create-span.dto';
import { CreateTraceDto } from './dto/create-trace.dto';
import { SpanAlreadyExistsError } from './errors/span-already-exists.error';
import { TraceAlreadyExistsError } from './errors/trace-already-exists.error';
import { Span } from './span.entity';
import { spanUsageOf } from './span-usage';
import { Trace } from './trace.entity';
import {
  byStart,
  effectiveTokens,
  leafTokens,
  serializeTraceSummary,
  traceIo,
} from './trace.mapper';
import { millisBetween, rolledUpStatus } from './trace-rollups';
import { TraceRetention } from './trace-retention';
import { MAX_STORED_INTEGER } from './trace-values';

/** 9 columns x 200 rows, 18 x 100: far below every driver's parameter limit. */
const TRACE_ROWS_PER_INSERT = 200;
const SPAN_ROWS_PER_INSERT = 100;

interface StoredTrace {
  trace: Trace;
  spans: Span[];
}

/** The JSON ingest of traces: each with its spans, all or nothing, like builds and transactions. */
@Injectable()
export class TraceIngestService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
    private readonly flows: FlowClaimService,
    private readonly retention: TraceRetention,
    private readonly metrics: ServiceMetrics,
  ) {}

  /**
   * Stores the traces and their spans for the caller in one transaction: unseen flows become the
   * caller's, another user's flow refuses the batch (404), an existing trace or span id refuses
   * it (409); then each flow written is trimmed. Answers the summaries in the input's order.
   */
  async ingest(owner: AuthenticatedUser, items: CreateTraceDto[]): Promise<string[]> {
    refuseRepeatedIds(items, 'id');
    const now = nowIso();
    const stored = items.map((item) => this.toEntities(item, now));
    const spanCount = stored.reduce((sum, entry) => sum + entry.spans.length, 0);
    try {
      await this.store(owner.id, now, items, stored);
    } catch (error) {
      if (error instanceof DomainError) {
        this.metrics.recordTraceSpans('json', 'rejected', spanCount);
      }
      throw error;
    }
    this.metrics.recordTraceSpans('json', 'stored', spanCount);
    return stored.map(({ trace, spans }) =>
      serializeTraceSummary(trace, traceIo(spans), effectiveTokens(leafTokens(spans), trace)),
    );
  }

  private async store(
    ownerId: string,
    now: string,
    items: CreateTraceDto[],
    stored: StoredTrace[],
  ): Promise<void> {
    const traces = stored.map((entry) => entry.trace);
    const spans = stored.flatMap((entry) => entry.spans);
    const givenTraceIds = items.flatMap((item) => (item.id ? [item.id] : []));
    const givenSpanIds = items.flatMap((item) =>
      (item.spans ?? []).flatMap((span) => (span.id ? [span.id] : [])),
    );
    const refuseExisting = async (manager: EntityManager) => {
      const trace = await firstExistingId(manager, Trace, 'id', givenTraceIds);
      if (trace) {
        throw new TraceAlreadyExistsError(trace);
      }
      const span = await firstExistingId(manager, Span, 'id', givenSpanIds);
      if (span) {
        throw new SpanAlreadyExistsError(span);
      }
    };
    try {
      await this.transactions.run(async (manager) => {
        const flowIds = await this.flows.claim(
          manager,
          ownerId,
          traces.map((trace) => trace.flowId),
          now,
          { lock: true },
        );
        await refuseExisting(manager);
        await insertRows(manager, Trace, traces, TRACE_ROWS_PER_INSERT);
        await insertRows(manager, Span, spans, SPAN_ROWS_PER_INSERT);
        for (const flowId of flowIds) {
          await this.retention.trim(manager, flowId);
        }
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        // A concurrent request stored one of these ids between our check and our insert.
        await refuseExisting(this.dataSource.manager);
      }
      throw error;
    }
  }

  /** The rows of one trace: secrets masked, what was left out computed from its spans. */
  private toEntities(item: CreateTraceDto, now: string): StoredTrace {
    const traceId = item.id ?? uuidV7();
    const spans = (item.spans ?? []).map((span) => this.toSpan(span, traceId)).sort(byStart);
    const startTime = item.start_time ?? spans[0]?.startTime ?? now;
    const ends = spans.flatMap((span) => (span.endTime === null ? [] : [span.endTime]));
    const endTime =
      item.end_time !== undefined ? item.end_time : ends.length > 0 ? ends.sort().at(-1)! : null;
    const trace = Object.assign(new Trace(), {
      id: traceId,
      flowId: item.flow_id,
      name: item.name,
      status: item.status ?? rolledUpStatus(spans),
      startTime,
      endTime,
      totalLatencyMs: item.total_latency_ms ?? millisBetween(startTime, endTime),
      totalTokens: item.total_tokens ?? Math.min(leafTokens(spans), MAX_STORED_INTEGER),
      sessionId: item.session_id ?? null,
    });
    return { trace, spans };
  }

  private toSpan(item: CreateSpanDto, traceId: string): Span {
    const masked = (value: Record<string, unknown> | null | undefined) =>
      value === undefined || value === null ? null : JSON.stringify(maskSecrets(value));
    const attributes = maskSecrets(item.attributes ?? {}) as Record<string, unknown>;
    const endTime = item.end_time ?? null;
    const error = item.error ?? null;
    return Object.assign(new Span(), {
      id: item.id ?? uuidV7(),
      traceId,
      parentSpanId: item.parent_span_id ?? null,
      name: item.name,
      spanType: item.span_type ?? 'chain',
      status: item.status ?? (error !== null ? 'error' : endTime !== null ? 'ok' : 'unset'),
      startTime: item.start_time,
      endTime,
      latencyMs: item.latency_ms ?? millisBetween(item.start_time, endTime),
      inputs: masked(item.inputs),
      outputs: masked(item.outputs),
      error,
      spanKind: item.span_kind ?? 'INTERNAL',
      attributes: JSON.stringify(attributes),
      ...spanUsageOf(attributes),
    });
  }
}
