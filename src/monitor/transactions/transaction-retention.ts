import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { APP_CONFIG } from '../../config/app-config.token';
import { AppConfig } from '../../config/app.config';
import { trimFlow } from '../retention/trim-flow';

/**
 * Keeps the newest MAX_TRANSACTIONS_TO_KEEP transactions of one flow. Only that flow's rows are
 * touched, and the caller holds the flow's lock (FlowClaimService): writers of one flow take
 * turns, so their trims never deadlock (Langflow issues 7427 and 9395).
 */
@Injectable()
export class TransactionRetention {
  private readonly keep: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.keep = config.retention.maxTransactionsToKeep;
  }

  async trim(manager: EntityManager, flowId: string): Promise<void> {
    await trimFlow(manager, { table: 'transaction', idColumn: 'id', flowId, keep: this.keep });
  }
}
