import { Module } from '@nestjs/common';
import { FlowClaimService } from '../flow-claim.service';
import { HeldSpanSweep } from './otlp/held-span-sweep.service';
import { OtlpController } from './otlp/otlp.controller';
import { OtlpIngestService } from './otlp/otlp-ingest.service';
import { TraceIngestService } from './trace-ingest.service';
import { TraceRetention } from './trace-retention';
import { TracesController } from './traces.controller';
import { TracesService } from './traces.service';

/** Langflow's traces: one per flow run, each a tree of spans. */
@Module({
  controllers: [TracesController, OtlpController],
  providers: [
    TracesService,
    TraceIngestService,
    TraceRetention,
    FlowClaimService,
    OtlpIngestService,
    HeldSpanSweep,
  ],
  exports: [TraceIngestService, OtlpIngestService],
})
export class TracesModule {}
