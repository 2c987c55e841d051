import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { APP_CONFIG } from '../../config/app-config.token';
import { AppConfig } from '../../config/app.config';
import { RetentionConfig } from '../../config/retention.config';
import { trimFlow } from '../retention/trim-flow';

/**
 * Trims one flow's builds to the caps: at most MAX_VERTEX_BUILDS_PER_VERTEX per vertex and
 * MAX_VERTEX_BUILDS_TO_KEEP per flow, the newest kept. Only that flow's rows are touched, and the
 * caller holds the flow's lock (FlowClaimService), so two writers of one flow never delete the
 * same rows at once and never wait on each other in a cycle.
 */
@Injectable()
export class BuildRetention {
  private readonly config: RetentionConfig;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.config = config.retention;
  }

  async trim(manager: EntityManager, flowId: string): Promise<void> {
    const builds = { table: 'vertex_build', idColumn: 'build_id', flowId };
    await trimFlow(manager, {
      ...builds,
      keep: this.config.maxVertexBuildsPerVertex,
      partitionBy: 'id',
    });
    await trimFlow(manager, { ...builds, keep: this.config.maxVertexBuildsToKeep });
  }
}
