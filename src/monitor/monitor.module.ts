import { Module } from '@nestjs/common';
import { MessageQueryService } from './message-query.service';
import { MessageService } from './message.service';
import { MonitorController } from './monitor.controller';
import { SessionController } from './session.controller';
import { SessionService } from './session.service';

/** Langflow's Monitor API: messages and their sessions. */
@Module({
  // SessionController first: its `messages/sessions` must match before `messages/:message_id`.
  controllers: [SessionController, MonitorController],
  providers: [MessageService, MessageQueryService, SessionService],
})
export class MonitorModule {}
