import { Module } from '@nestjs/common';
import { BatchWriter } from '../batch-writer.service';
import { FlowClaimService } from '../flow-claim.service';
import { TransactionRetention } from './transaction-retention';
import { TransactionsController } from './transactions.controller';
import { TransactionsService } from './transactions.service';

/** Langflow's transaction log: one row per component run. */
@Module({
  controllers: [TransactionsController],
  providers: [TransactionsService, TransactionRetention, FlowClaimService, BatchWriter],
})
export class TransactionsModule {}
