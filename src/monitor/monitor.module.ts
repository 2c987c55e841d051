import { Module } from '@nestjs/common';
import { MessageService } from './message.service';
import { MonitorController } from './monitor.controller';
import { SessionService } from './session.service';

/** Langflow's Monitor API: messages and their sessions. */
@Module({
  controllers: [MonitorController],
  providers: [MessageService, SessionService],
})
export class MonitorModule {}
