import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { APP_CONFIG } from '../../config/app-config.token';
import { AppConfig } from '../../config/app.config';
import { trimFlow } from '../retention/trim-flow';

/**
 * Keeps the MAX_TRACES_TO_KEEP traces of one flow that started last; their spans go with the
 * others (ON DELETE CASCADE). Only that flow's rows are touched, and the caller holds the flow's
 * lock (FlowClaimService): writers of one flow take turns, so their trims never deadlock.
 */
@Injectable()
export class TraceRetention {
  private readonly keep: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.keep = config.retention.maxTracesToKeep;
  }

  async trim(manager: EntityManager, flowId: string): Promise<void> {
    await trimFlow(manager, {
      table: 'trace',
      idColumn: 'id',
      orderColumn: 'start_time',
      flowId,
      keep: this.keep,
    });
  }
}
