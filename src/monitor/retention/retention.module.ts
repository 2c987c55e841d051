import { Module } from '@nestjs/common';
import { MessageRetentionService } from './message-retention.service';

/** Age-based removal of old messages (MESSAGE_RETENTION_DAYS), on a timer. */
@Module({ providers: [MessageRetentionService] })
export class RetentionModule {}
