import { Module } from '@nestjs/common';
import { BuildsModule } from './builds/builds.module';
import { ImportModule } from './import/import.module';
import { RetentionModule } from './retention/retention.module';
import { TracesModule } from './traces/traces.module';
import { TransactionsModule } from './transactions/transactions.module';
import { BatchWriter } from './batch-writer.service';
import { FlowClaimService } from './flow-claim.service';
import { MessageQueryService } from './message-query.service';
import { MessageService } from './message.service';
import { MonitorController } from './monitor.controller';
import { SessionController } from './session.controller';
import { SessionService } from './session.service';

/** Langflow's Monitor API: messages and their sessions; vertex builds, transactions and traces. */
@Module({
  imports: [BuildsModule, TransactionsModule, TracesModule, RetentionModule, ImportModule],
  // SessionController first: its `messages/sessions` must match before `messages/:message_id`.
  controllers: [SessionController, MonitorController],
  providers: [MessageService, MessageQueryService, SessionService, FlowClaimService, BatchWriter],
})
export class MonitorModule {}
