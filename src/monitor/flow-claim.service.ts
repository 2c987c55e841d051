import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { FlowNotFoundError } from './errors/flow-not-found.error';
import { Flow } from './flow.entity';

/**
 * Makes flows the caller's inside a writing transaction: the one rule every ingest route shares.
 * A flow id never seen becomes the caller's; someone else's flow refuses the whole batch.
 */
@Injectable()
export class FlowClaimService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Claims the flows and returns their ids sorted. With `lock` (writers that trim what they
   * write), on PostgreSQL, it first takes a transaction-scoped advisory lock per flow, in sorted
   * order, so that writers of one flow take turns (their trims never interleave) and writers of
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
      for (const flowId of sorted) {
        await this.lockFlow(manager, flowId);
      }
    }
    await manager
      .createQueryBuilder()
      .insert()
      .into(Flow)
      .values(sorted.map((id) => ({ id, userId: ownerId, createdAt: now })))
      .orIgnore()
      .updateEntity(false)
      .execute();
    const foreign = await manager
      .createQueryBuilder(Flow, 'f')
      .where('f.id IN (:...flowIds)', { flowIds: sorted })
      .andWhere('f.userId <> :ownerId', { ownerId })
      .getExists();
    if (foreign) {
      throw new FlowNotFoundError();
    }
    return sorted;
  }

  /** PostgreSQL: the same per-flow lock as `claim`, for a change to one existing flow. */
  async lockFlow(manager: EntityManager, flowId: string): Promise<void> {
    if (this.dataSource.options.type === 'postgres') {
      await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
        `flow:${flowId}`,
      ]);
    }
  }
}
