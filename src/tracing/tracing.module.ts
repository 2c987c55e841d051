import { Module, OnApplicationShutdown } from '@nestjs/common';
import { shutdownTracing } from './tracing-state';

/**
 * Exports the last spans when the application closes. Nest calls this hook after the HTTP server
 * has stopped and its requests have ended, so their spans are all in the buffer by then.
 */
@Module({})
export class TracingModule implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await shutdownTracing();
  }
}
