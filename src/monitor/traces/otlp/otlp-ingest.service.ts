import { Inject, Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import { AuthenticatedUser } from '../../../auth/authenticated-user';
import { nowIso } from '../../../common/time';
import { APP_CONFIG } from '../../../config/app-config.token';
import { AppConfig } from '../../../config/app.config';
import { DatabaseDialect } from '../../../database/dialect/database-dialect';
import { insertRows } from '../../../database/insert-rows';
import { qualifiedTable } from '../../../database/qualified-table';
import { TransactionRunner } from '../../../database/transaction-runner';
import { ServiceMetrics } from '../../../metrics/service-metrics';
import { FlowNotFoundError } from '../../errors/flow-not-found.error';
import { FlowClaimService } from '../../flow-claim.service';
import { Span } from '../span.entity';
import { Trace } from '../trace.entity';
import { byStart, leafTokens } from '../trace.mapper';
import { TraceRetention } from '../trace-retention';
import { millisBetween, rolledUpStatus } from '../trace-rollups';
import { MAX_SPANS_PER_REQUEST, MAX_STORED_INTEGER } from '../trace-values';
import { HeldSpan } from './held-span.entity';
import { ReadSpans } from './otlp-request';
import { MappedSpan, mapOtlpSpan } from './otlp-span-mapper';

/** 18 columns x 100 rows, 9 x 200, 6 x 500: far below every driver's parameter limit. */
const SPAN_ROWS_PER_INSERT = 100;
const TRACE_ROWS_PER_INSERT = 200;
const HELD_ROWS_PER_INSERT = 500;
/** Trace ids per look-up of the spans already held (one parameter each). */
const HELD_TRACES_PER_LOOKUP = 500;

/** What the exporter is told: the spans refused outright, and why (OTLP's partial_success). */
export interface OtlpIngestResult {
  rejectedSpans: number;
  errorMessage: string;
}

interface TraceToStore {
  traceId: string;
  flowId: string;
  spans: MappedSpan[];
  existing: ExistingTrace | undefined;
}

interface ExistingTrace {
  id: string;
  flowId: string;
  userId: string;
  sessionId: string | null;
}

/**
 * Stores the spans of an OTLP export. Each trace of the batch goes one of three ways:
 * - its trace row exists (an earlier batch named its flow): the spans join it, if it is the
 *   caller's, else they are refused;
 * - a span of the batch names its flow: the flow is claimed (another user's refuses the trace and
 *   drops what was held of it), the trace row is written, and the spans held for it join it;
 * - otherwise its spans are held for the caller until a span naming the flow arrives, as long as
 *   the caller holds fewer than OTLP_MAX_HELD_SPANS: whole traces are held in trace-id order
 *   while they fit, the others are refused (spans already held, sent again, take no room).
 * Ids come from the OTLP ids, and rows are inserted with ON CONFLICT DO NOTHING, so a batch sent
 * twice stores each span once. The rollups are recomputed from the stored spans, so they come out
 * the same whatever order the batches came in. One batch is one transaction; on PostgreSQL it
 * takes an advisory lock per trace (sorted) and then per flow (sorted), so two replicas receiving
 * halves of one trace take turns, and never wait on each other in a cycle (every writer takes
 * trace locks, if any, before flow locks). The caller's held-span lock, which only this
 * method takes, comes last: once it has it, the transaction only counts and inserts the caller's
 * held rows, so it never waits for another lock while holding it.
 */
@Injectable()
export class OtlpIngestService {
  private readonly maxHeldSpans: number;

  constructor(
    private readonly dialect: DatabaseDialect,
    private readonly transactions: TransactionRunner,
    private readonly flows: FlowClaimService,
    private readonly retention: TraceRetention,
    private readonly metrics: ServiceMetrics,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.maxHeldSpans = config.retention.otlpMaxHeldSpans;
  }

  async ingest(owner: AuthenticatedUser, read: ReadSpans): Promise<OtlpIngestResult> {
    const refusals = new Map<string, number>();
    const refuse = (reason: string, count = 1) =>
      refusals.set(reason, (refusals.get(reason) ?? 0) + count);
    for (const reason of read.refused) {
      refuse(reason);
    }
    const accepted = read.spans.slice(0, MAX_SPANS_PER_REQUEST);
    if (read.spans.length > accepted.length) {
      refuse(
        `spans beyond the first ${MAX_SPANS_PER_REQUEST} of a request`,
        read.spans.length - accepted.length,
      );
    }
    const byTrace = new Map<string, MappedSpan[]>();
    const seen = new Set<string>();
    for (const otlp of accepted) {
      const mapped = mapOtlpSpan(otlp);
      if (seen.has(mapped.span.id)) {
        continue; // The same span twice in one batch: stored once, as a retry would be.
      }
      seen.add(mapped.span.id);
      const spans = byTrace.get(mapped.span.traceId) ?? [];
      spans.push(mapped);
      byTrace.set(mapped.span.traceId, spans);
    }
    const counts = await this.store(owner.id, byTrace, refuse);
    this.metrics.recordTraceSpans('otlp', 'stored', counts.stored);
    this.metrics.recordTraceSpans('otlp', 'held', counts.held);
    const rejected = [...refusals.values()].reduce((sum, count) => sum + count, 0);
    this.metrics.recordTraceSpans('otlp', 'rejected', rejected + counts.droppedHeld);
    return {
      rejectedSpans: rejected,
      errorMessage: [...refusals]
        .map(([reason, count]) => `${count} refused: ${reason}`)
        .join('; '),
    };
  }

  private async store(
    ownerId: string,
    byTrace: Map<string, MappedSpan[]>,
    refuse: (reason: string, count: number) => void,
  ): Promise<{ stored: number; held: number; droppedHeld: number }> {
    const traceIds = [...byTrace.keys()].sort();
    const now = nowIso();
    const counts = { stored: 0, held: 0, droppedHeld: 0 };
    const refusedHere = new Map<string, number>();
    await this.transactions.run(async (manager) => {
      counts.stored = 0;
      counts.held = 0;
      counts.droppedHeld = 0;
      refusedHere.clear();
      await this.lockTraces(manager, traceIds);
      const existing = await this.existingTraces(manager, traceIds);
      const flowOf = new Map<string, string>();
      for (const traceId of traceIds) {
        const found = existing.get(traceId);
        const named = byTrace.get(traceId)!.find((mapped) => mapped.flowId !== null)?.flowId;
        const flowId = found ? found.flowId : named;
        if (flowId) {
          flowOf.set(traceId, flowId);
        }
      }
      const flowIds = [...new Set(flowOf.values())].sort();
      for (const flowId of flowIds) {
        await this.flows.lockFlow(manager, flowId);
      }
      const foreign = new Set<string>();
      for (const flowId of flowIds) {
        try {
          await this.flows.claim(manager, ownerId, [flowId], now);
        } catch (error) {
          if (!(error instanceof FlowNotFoundError)) {
            throw error;
          }
          foreign.add(flowId);
        }
      }
      const holding: string[] = [];
      const storing: TraceToStore[] = [];
      const refused: string[] = [];
      for (const traceId of traceIds) {
        const spans = byTrace.get(traceId)!;
        const flowId = flowOf.get(traceId);
        if (flowId === undefined) {
          holding.push(traceId);
        } else if (foreign.has(flowId)) {
          const reason = "spans of a trace whose flow is another user's";
          refusedHere.set(reason, (refusedHere.get(reason) ?? 0) + spans.length);
          refused.push(traceId);
        } else {
          storing.push({ traceId, flowId, spans, existing: existing.get(traceId) });
        }
      }
      counts.droppedHeld = await this.dropHeld(manager, ownerId, refused);
      counts.stored = await this.storeTraces(manager, ownerId, storing);
      for (const flowId of [...new Set(storing.map((entry) => entry.flowId))].sort()) {
        await this.retention.trim(manager, flowId);
      }
      const { held, overCap } = await this.roomToHold(manager, ownerId, holding, byTrace);
      if (overCap > 0) {
        const reason =
          `spans held past OTLP_MAX_HELD_SPANS (${this.maxHeldSpans}) ` +
          'waiting for a span that names their flow';
        refusedHere.set(reason, overCap);
      }
      const rows = held.flatMap((traceId) =>
        byTrace.get(traceId)!.map((mapped) => heldRow(ownerId, mapped, now)),
      );
      await insertRows(manager, HeldSpan, rows, HELD_ROWS_PER_INSERT, { orIgnore: true });
      counts.held = rows.length;
    });
    for (const [reason, count] of refusedHere) {
      refuse(reason, count);
    }
    return counts;
  }

  /** The trace rows among these ids, with their flow's owner. */
  private async existingTraces(
    manager: EntityManager,
    traceIds: string[],
  ): Promise<Map<string, ExistingTrace>> {
    const found = new Map<string, ExistingTrace>();
    if (traceIds.length === 0) {
      return found;
    }
    const rows = await manager
      .createQueryBuilder(Trace, 't')
      .innerJoin('t.flow', 'f')
      .select('t.id', 'id')
      .addSelect('t.flowId', 'flowId')
      .addSelect('t.sessionId', 'sessionId')
      .addSelect('f.userId', 'userId')
      .where('t.id IN (:...traceIds)', { traceIds })
      .getRawMany<ExistingTrace>();
    for (const row of rows) {
      found.set(row.id, row);
    }
    return found;
  }

  /**
   * Writes the traces' spans (with those held for them) and their rows: a new trace's row from
   * its spans at once (nothing else of it is stored: its lock is held), an existing one's
   * recomputed from everything stored. Returns how many spans were written or joined.
   */
  private async storeTraces(
    manager: EntityManager,
    ownerId: string,
    storing: TraceToStore[],
  ): Promise<number> {
    if (storing.length === 0) {
      return 0;
    }
    const heldRows = await manager.find(HeldSpan, {
      where: { userId: ownerId, traceId: In(storing.map((entry) => entry.traceId)) },
    });
    const heldByTrace = new Map<string, HeldSpan[]>();
    for (const row of heldRows) {
      heldByTrace.set(row.traceId, [...(heldByTrace.get(row.traceId) ?? []), row]);
    }
    const newTraces: Trace[] = [];
    const recomputed: { traceId: string; sessionId: string | null }[] = [];
    const spans: Span[] = [];
    for (const entry of storing) {
      const heldHere = heldByTrace.get(entry.traceId) ?? [];
      const byId = new Map<string, Span>();
      for (const row of heldHere) {
        byId.set(row.id, Object.assign(new Span(), JSON.parse(row.row) as Span));
      }
      for (const mapped of entry.spans) {
        byId.set(mapped.span.id, mapped.span);
      }
      const all = [...byId.values()];
      spans.push(...all);
      const roots = entry.spans.filter((mapped) => mapped.span.parentSpanId === null);
      const sessionId =
        entry.existing?.sessionId ??
        [...roots, ...entry.spans].find((mapped) => mapped.sessionId !== null)?.sessionId ??
        heldHere.find((row) => row.sessionId !== null)?.sessionId ??
        null;
      if (entry.existing) {
        recomputed.push({ traceId: entry.traceId, sessionId });
      } else {
        newTraces.push(
          Object.assign(new Trace(), {
            id: entry.traceId,
            flowId: entry.flowId,
            sessionId,
            ...rollupsOf(all),
          }),
        );
      }
    }
    await insertRows(manager, Trace, newTraces, TRACE_ROWS_PER_INSERT, { orIgnore: true });
    await insertRows(manager, Span, spans, SPAN_ROWS_PER_INSERT, { orIgnore: true });
    if (heldRows.length > 0) {
      await manager.delete(HeldSpan, {
        userId: ownerId,
        traceId: In([...heldByTrace.keys()]),
      });
    }
    await this.rollUp(manager, recomputed);
    return spans.length;
  }

  /**
   * Which of these traces (sorted) may be held without the caller holding more than
   * OTLP_MAX_HELD_SPANS spans: whole traces, in order, each that fits in the room left (a trace
   * is never split), and how many spans are refused. Spans already held (a batch sent again)
   * take no room. Under the caller's held-span lock, taken last (see the class comment) and kept
   * until the transaction ends, so two batches of one caller cannot both fill the same room.
   */
  private async roomToHold(
    manager: EntityManager,
    ownerId: string,
    traceIds: string[],
    byTrace: Map<string, MappedSpan[]>,
  ): Promise<{ held: string[]; overCap: number }> {
    if (traceIds.length === 0) {
      return { held: [], overCap: 0 };
    }
    await this.dialect.lockKeys(manager, [`otlp-held:${ownerId}`]);
    const cap = this.maxHeldSpans;
    // Counting stops at the cap: a full caller costs no more to count than one at the cap.
    const [sql, parameters] = manager.connection.driver.escapeQueryWithParameters(
      `SELECT COUNT(*) AS "count" FROM (SELECT 1 FROM ` +
        `${qualifiedTable(manager.connection, 'otlp_held_span')} ` +
        `WHERE "user_id" = :ownerId LIMIT :cap) "capped"`,
      { ownerId, cap },
      {},
    );
    const [row] = await manager.query<{ count: string | number }[]>(sql, parameters);
    let room = cap - Number(row.count);
    const arriving = traceIds.reduce((sum, traceId) => sum + byTrace.get(traceId)!.length, 0);
    if (arriving <= room) {
      return { held: traceIds, overCap: 0 };
    }
    const already = await this.heldIds(manager, ownerId, traceIds);
    const held: string[] = [];
    let overCap = 0;
    for (const traceId of traceIds) {
      const fresh = byTrace.get(traceId)!.filter((mapped) => !already.has(mapped.span.id)).length;
      if (fresh <= room) {
        held.push(traceId);
        room -= fresh;
      } else {
        overCap += fresh;
      }
    }
    return { held, overCap };
  }

  /** The ids of the caller's spans already held for these traces. */
  private async heldIds(
    manager: EntityManager,
    ownerId: string,
    traceIds: string[],
  ): Promise<Set<string>> {
    const ids = new Set<string>();
    for (let start = 0; start < traceIds.length; start += HELD_TRACES_PER_LOOKUP) {
      const rows = await manager.find(HeldSpan, {
        select: ['id'],
        where: {
          userId: ownerId,
          traceId: In(traceIds.slice(start, start + HELD_TRACES_PER_LOOKUP)),
        },
      });
      for (const found of rows) {
        ids.add(found.id);
      }
    }
    return ids;
  }

  /** Existing traces' rows from their stored spans: the same whatever order they arrived in. */
  private async rollUp(
    manager: EntityManager,
    traces: { traceId: string; sessionId: string | null }[],
  ): Promise<void> {
    if (traces.length === 0) {
      return;
    }
    const stored = await manager.find(Span, {
      select: [
        'id',
        'traceId',
        'parentSpanId',
        'name',
        'status',
        'startTime',
        'endTime',
        'totalTokens',
      ],
      where: { traceId: In(traces.map((trace) => trace.traceId)) },
    });
    const byTrace = new Map<string, Span[]>();
    for (const span of stored) {
      byTrace.set(span.traceId, [...(byTrace.get(span.traceId) ?? []), span]);
    }
    for (const { traceId, sessionId } of traces) {
      const spans = byTrace.get(traceId);
      if (spans) {
        await manager.update(Trace, traceId, { ...rollupsOf(spans), sessionId });
      }
    }
  }

  /** Drops the spans held for traces that turned out to be another user's; returns how many. */
  private async dropHeld(
    manager: EntityManager,
    ownerId: string,
    traceIds: string[],
  ): Promise<number> {
    if (traceIds.length === 0) {
      return 0;
    }
    const result = await manager.delete(HeldSpan, { userId: ownerId, traceId: In(traceIds) });
    return result.affected ?? 0;
  }

  /** One lock per trace, in sorted order (see DatabaseDialect.lockKeys). */
  private lockTraces(manager: EntityManager, sortedTraceIds: string[]): Promise<void> {
    return this.dialect.lockKeys(
      manager,
      sortedTraceIds.map((id) => `otlp-trace:${id}`),
    );
  }
}

/** A trace's row from its spans: name of its root, times, status and leaf tokens. */
function rollupsOf(
  spans: Pick<
    Span,
    'id' | 'parentSpanId' | 'name' | 'status' | 'startTime' | 'endTime' | 'totalTokens'
  >[],
): Pick<Trace, 'name' | 'status' | 'startTime' | 'endTime' | 'totalLatencyMs' | 'totalTokens'> {
  const ordered = [...spans].sort(byStart);
  const root = ordered.find((span) => span.parentSpanId === null) ?? ordered[0];
  const startTime = ordered[0].startTime;
  const ends = ordered.flatMap((span) => (span.endTime === null ? [] : [span.endTime])).sort();
  const endTime = ends.at(-1) ?? null;
  return {
    name: root.name,
    status: rolledUpStatus(ordered),
    startTime,
    endTime,
    totalLatencyMs: millisBetween(startTime, endTime),
    totalTokens: Math.min(leafTokens(ordered), MAX_STORED_INTEGER),
  };
}

function heldRow(ownerId: string, mapped: MappedSpan, now: string): HeldSpan {
  return Object.assign(new HeldSpan(), {
    userId: ownerId,
    id: mapped.span.id,
    traceId: mapped.span.traceId,
    receivedAt: now,
    sessionId: mapped.sessionId,
    row: JSON.stringify(mapped.span),
  });
}
