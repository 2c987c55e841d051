import { Module } from '@nestjs/common';
import { FlowClaimService } from '../flow-claim.service';
import { TraceIngestService } from './trace-ingest.service';
import { TraceRetention } from './trace-retention';
import { TracesController } from './traces.controller';
import { TracesService } from './traces.service';

/** Langflow's traces: one per flow run, each a tree of spans. */
@Module({
  controllers: [TracesController],
  providers: [TracesService, TraceIngestService, TraceRetention, FlowClaimService],
  exports: [TraceIngestService],
})
export class TracesModule {}
