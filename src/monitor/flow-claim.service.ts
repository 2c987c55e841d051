import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { CompiledQuery, compileQuery } from '../database/compiled-query';
import { DatabaseDialect } from '../database/dialect/database-dialect';
import { insertRows } from '../database/insert-rows';
import { FlowNotFoundError } from './errors/flow-not-found.error';
import { Flow } from './flow.entity';

/** Batches of up to this many flows (most have one) check for a foreign flow with a kept query. */
const MAX_COMPILED_FLOW_COUNT = 16;

/**
 * Makes flows the caller's inside a writing transaction: the one rule every ingest route shares.
 * A flow id never seen becomes the caller's; someone else's flow refuses the whole batch.
 */
@Injectable()
export class FlowClaimService {
  /** The foreign-flow check, built once per number of flows (its IN list has one per flow). */
  private readonly foreignQueries = new Map<number, CompiledQuery<string>>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly dialect: DatabaseDialect,
  ) {}

  /**
   * Claims the flows and returns their ids sorted. With `lock` (writers that trim what they
   * write), it first takes a transaction-scoped lock per flow (see DatabaseDialect.lockKeys), in
   * sorted order, so that writers of one flow take turns (their trims never interleave) and writers of
   * overlapping flows never wait on each other in a cycle; writers of other flows are not held up.
   */
  async claim(
    manager: EntityManager,
    ownerId: string,
    flowIds: Iterable<string>,
    now: string,
    options: { lock?: boolean } = {},
  ): Promise<string[]> {
    const sorted = [...new Set(flowIds)].sort();
    if (options.lock) {
      await this.dialect.lockKeys(manager, sorted.map(flowLockKey));
    }
    const claimed = sorted.map((id) =>
      Object.assign(new Flow(), { id, userId: ownerId, createdAt: now }),
    );
    // One statement for all of them, as many as there are.
    await insertRows(manager, Flow, claimed, Math.max(claimed.length, 1), { orIgnore: true });
    if (await this.anyForeign(manager, ownerId, sorted)) {
      throw new FlowNotFoundError();
    }
    return sorted;
  }

  /** Whether any of the flows belongs to another user. */
  private async anyForeign(
    manager: EntityManager,
    ownerId: string,
    flowIds: string[],
  ): Promise<boolean> {
    const count = flowIds.length;
    if (count === 0 || count > MAX_COMPILED_FLOW_COUNT) {
      return manager
        .createQueryBuilder(Flow, 'f')
        .where('f.id IN (:...flowIds)', { flowIds })
        .andWhere('f.userId <> :ownerId', { ownerId })
        .getExists();
    }
    let query = this.foreignQueries.get(count);
    if (!query) {
      const names = [...flowIds.map((_, index) => `flow${index}`), 'ownerId'];
      query = compileQuery(names, (p) =>
        this.dataSource
          .createQueryBuilder(Flow, 'f')
          .select('1', 'found')
          .where('f.id IN (:...flowIds)', { flowIds: names.slice(0, count).map((name) => p[name]) })
          .andWhere('f.userId <> :ownerId', { ownerId: p.ownerId })
          .limit(1)
          .getQueryAndParameters(),
      );
      this.foreignQueries.set(count, query);
    }
    const values: Record<string, unknown> = { ownerId };
    flowIds.forEach((id, index) => {
      values[`flow${index}`] = id;
    });
    const rows = await manager.query<unknown[]>(query.sql, query.parameters(values));
    return rows.length > 0;
  }

  /** The same per-flow lock as `claim`, for a change to one existing flow. */
  lockFlow(manager: EntityManager, flowId: string): Promise<void> {
    return this.dialect.lockKeys(manager, [flowLockKey(flowId)]);
  }
}

function flowLockKey(flowId: string): string {
  return `flow:${flowId}`;
}
