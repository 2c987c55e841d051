import { Module } from '@nestjs/common';
import { FlowClaimService } from '../flow-claim.service';
import { MessageImportController } from './message-import.controller';
import { MessageImportService } from './message-import.service';

/** Restoring an export: NDJSON in, the caller's messages stored. */
@Module({
  controllers: [MessageImportController],
  providers: [MessageImportService, FlowClaimService],
})
export class ImportModule {}
