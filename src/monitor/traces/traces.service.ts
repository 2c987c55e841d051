import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { qualifiedTable } from '../../database/qualified-table';
import { countRows, RowStreamer } from '../../database/row-streamer';
import { TransactionRunner } from '../../database/transaction-runner';
import { FlowNotFoundError } from '../errors/flow-not-found.error';
import { FlowClaimService } from '../flow-claim.service';
import { Flow } from '../flow.entity';
import { ownedFlowIds } from '../message-row';
import { DEFAULT_TRACE_PAGE_SIZE, TracesQueryDto } from './dto/traces.query.dto';
import { TraceNotFoundError } from './errors/trace-not-found.error';
import { Span } from './span.entity';
import { Trace } from './trace.entity';
import {
  effectiveTokens,
  serializeTraceDetail,
  serializeTraceList,
  serializeTraceSummary,
  SpanIo,
  traceIo,
} from './trace.mapper';

const TRACE_PROPERTIES = [
  'id',
  'flowId',
  'name',
  'status',
  'startTime',
  'endTime',
  'totalLatencyMs',
  'totalTokens',
  'sessionId',
] as const;

const SPAN_PROPERTIES = [
  'id',
  'parentSpanId',
  'name',
  'spanType',
  'status',
  'startTime',
  'endTime',
  'latencyMs',
  'inputs',
  'outputs',
  'error',
  'modelName',
  'promptTokens',
  'completionTokens',
  'totalTokens',
] as const;

/** Langflow's trace reads and deletes, scoped to the caller's flows. */
@Injectable()
export class TracesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
    private readonly rows: RowStreamer,
    private readonly flows: FlowClaimService,
  ) {}

  /**
   * One page of the caller's traces that pass the filters, newest start first (ties by id,
   * descending), in three statements whatever the page size: the page with the total (a window
   * count; a page past the end costs one more, for the total), the spans that give the page's
   * inputs and outputs (root spans and those named like "Chat Input"), and the leaf-token sums.
   */
  async list(ownerId: string, query: TracesQueryDto): Promise<string> {
    const page = Math.max(query.page ?? 1, 1);
    const size = query.size ?? DEFAULT_TRACE_PAGE_SIZE;
    const filtered = () => {
      const builder = this.dataSource
        .createQueryBuilder(Trace, 't')
        .where(`t.flowId IN ${ownedFlowIds(this.dataSource)}`, { ownerId });
      if (query.flow_id) {
        builder.andWhere('t.flowId = :flowId', { flowId: query.flow_id });
      }
      if (query.session_id) {
        builder.andWhere('t.sessionId = :sessionId', { sessionId: query.session_id });
      }
      if (query.status) {
        builder.andWhere('t.status = :status', { status: query.status });
      }
      if (query.query) {
        // The text is printable ASCII (validated), so LOWER means the same on both databases.
        const pattern = `%${query.query.toLowerCase().replace(/[\\%_]/g, '\\$&')}%`;
        builder.andWhere(
          "(LOWER(t.name) LIKE :pattern ESCAPE '\\' OR CAST(t.id AS TEXT) LIKE :pattern ESCAPE '\\' " +
            "OR LOWER(t.sessionId) LIKE :pattern ESCAPE '\\')",
          { pattern },
        );
      }
      if (query.start_time) {
        builder.andWhere('t.startTime >= :from', { from: query.start_time });
      }
      if (query.end_time) {
        builder.andWhere('t.startTime <= :to', { to: query.end_time });
      }
      return builder;
    };
    const builder = filtered().select('COUNT(*) OVER ()', 'total');
    for (const property of TRACE_PROPERTIES) {
      builder.addSelect(`t.${property}`, property);
    }
    const rows = await this.rows.all<Trace & { total: string | number }>(
      ...builder
        .orderBy('t.startTime', 'DESC')
        .addOrderBy('t.id', 'DESC')
        .limit(size)
        .offset((page - 1) * size)
        .getQueryAndParameters(),
    );
    if (rows.length === 0) {
      const total = page > 1 ? await countRows(this.rows, filtered()) : 0;
      return serializeTraceList([], total, size);
    }
    const ids = rows.map((row) => row.id);
    const [ioSpans, tokens] = [await this.ioSpans(ids), await this.leafTokenSums(ids)];
    const items = rows.map((row) => {
      const trace = Object.assign(new Trace(), row);
      return serializeTraceSummary(
        trace,
        traceIo(ioSpans.get(trace.id) ?? []),
        effectiveTokens(tokens.get(trace.id) ?? 0, trace),
      );
    });
    return serializeTraceList(items, Number(rows[0].total), size);
  }

  /** The caller's trace with its span tree; 404 for another user's or none. */
  async detail(ownerId: string, traceId: string): Promise<string> {
    const builder = this.dataSource
      .createQueryBuilder(Trace, 't')
      .where('t.id = :traceId', { traceId })
      .andWhere(`t.flowId IN ${ownedFlowIds(this.dataSource)}`, { ownerId });
    for (const [index, property] of TRACE_PROPERTIES.entries()) {
      builder[index === 0 ? 'select' : 'addSelect'](`t.${property}`, property);
    }
    const [row] = await this.rows.all<Trace>(...builder.limit(1).getQueryAndParameters());
    if (!row) {
      throw new TraceNotFoundError();
    }
    const spans = this.dataSource
      .createQueryBuilder(Span, 's')
      .where('s.traceId = :traceId', { traceId })
      .orderBy('s.startTime', 'ASC')
      .addOrderBy('s.id', 'ASC');
    for (const [index, property] of SPAN_PROPERTIES.entries()) {
      spans[index === 0 ? 'select' : 'addSelect'](`s.${property}`, property);
    }
    const spanRows = await this.rows.all<Span>(...spans.getQueryAndParameters());
    return serializeTraceDetail(Object.assign(new Trace(), row), spanRows);
  }

  /** Deletes the caller's trace and its spans; 404 for another user's or none. */
  async deleteTrace(ownerId: string, traceId: string): Promise<void> {
    const result = await this.transactions.run((manager) =>
      manager
        .createQueryBuilder()
        .delete()
        .from(Trace)
        .where('id = :traceId', { traceId })
        .andWhere(`flow_id IN ${ownedFlowIds(this.dataSource)}`, { ownerId })
        .execute(),
    );
    if (!result.affected) {
      throw new TraceNotFoundError();
    }
  }

  /** Deletes every trace of the caller's flow; 404 "Flow not found" for another user's or none. */
  async deleteForFlow(ownerId: string, flowId: string): Promise<void> {
    await this.transactions.run(async (manager) => {
      await this.flows.lockFlow(manager, flowId);
      const owned = await manager
        .createQueryBuilder(Flow, 'f')
        .where('f.id = :flowId', { flowId })
        .andWhere('f.userId = :ownerId', { ownerId })
        .getExists();
      if (!owned) {
        throw new FlowNotFoundError();
      }
      await manager
        .createQueryBuilder()
        .delete()
        .from(Trace)
        .where('flow_id = :flowId', { flowId })
        .execute();
    });
  }

  /** The spans of these traces that `traceIo` reads, with only the JSON it reads. */
  private async ioSpans(traceIds: string[]): Promise<Map<string, SpanIo[]>> {
    const spans = qualifiedTable(this.dataSource, 'span');
    // LIKE finds a superset on SQLite (it ignores case); traceIo keeps the exact matches.
    const [sql, parameters] = this.dataSource.driver.escapeQueryWithParameters(
      `SELECT "s"."trace_id" AS "traceId", "s"."id" AS "id", "s"."name" AS "name", ` +
        `"s"."parent_span_id" AS "parentSpanId", "s"."start_time" AS "startTime", ` +
        `"s"."end_time" AS "endTime", ` +
        `CASE WHEN "s"."name" LIKE '%Chat Input%' THEN "s"."inputs" END AS "inputs", ` +
        `CASE WHEN "s"."parent_span_id" IS NULL THEN "s"."outputs" END AS "outputs" ` +
        `FROM ${spans} "s" WHERE "s"."trace_id" IN (:...traceIds) ` +
        `AND ("s"."parent_span_id" IS NULL OR "s"."name" LIKE '%Chat Input%')`,
      { traceIds },
      {},
    );
    const rows = await this.rows.all<SpanIo & { traceId: string }>(sql, parameters);
    const byTrace = new Map<string, SpanIo[]>();
    for (const row of rows) {
      const list = byTrace.get(row.traceId) ?? [];
      list.push(row);
      byTrace.set(row.traceId, list);
    }
    return byTrace;
  }

  /** Each trace's sum of the tokens of its leaf spans (spans no span names as parent). */
  private async leafTokenSums(traceIds: string[]): Promise<Map<string, number>> {
    const spans = qualifiedTable(this.dataSource, 'span');
    const [sql, parameters] = this.dataSource.driver.escapeQueryWithParameters(
      `SELECT "s"."trace_id" AS "traceId", SUM("s"."total_tokens") AS "tokens" ` +
        `FROM ${spans} "s" WHERE "s"."trace_id" IN (:...traceIds) ` +
        `AND "s"."total_tokens" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${spans} "c" ` +
        `WHERE "c"."trace_id" = "s"."trace_id" AND "c"."parent_span_id" = "s"."id") ` +
        `GROUP BY "s"."trace_id"`,
      { traceIds },
      {},
    );
    const rows = await this.rows.all<{ traceId: string; tokens: string | number }>(sql, parameters);
    return new Map(rows.map((row) => [row.traceId, Number(row.tokens)]));
  }
}
