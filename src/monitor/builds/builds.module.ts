import { Module } from '@nestjs/common';
import { BatchWriter } from '../batch-writer.service';
import { FlowClaimService } from '../flow-claim.service';
import { BuildRetention } from './build-retention';
import { BuildsController } from './builds.controller';
import { BuildsService } from './builds.service';

/** Langflow's vertex builds: what the Playground shows of each component's last run. */
@Module({
  controllers: [BuildsController],
  providers: [BuildsService, BuildRetention, FlowClaimService, BatchWriter],
})
export class BuildsModule {}
