import { DynamicModule, Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { Logger } from 'pino';
import { ROOT_LOGGER } from './root-logger.token';
import { ServiceLogger } from './service.logger';

/**
 * nestjs-pino on the process's root logger, behind Nest's `Logger`. The request log
 * (request-logging.ts) is mounted by createApp in front of every route, Swagger's and /metrics
 * included.
 */
@Global()
@Module({})
export class LoggingModule {
  static forRoot(root: Logger): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: { logger: root },
          useExisting: true,
          // No Nest middleware: a catch-all route of its own would make every unknown path look
          // like a known one (405 instead of 404). createApp binds the request's logger instead.
          forRoutes: [],
        }),
      ],
      providers: [ServiceLogger, { provide: ROOT_LOGGER, useValue: root }],
      exports: [ServiceLogger, ROOT_LOGGER],
    };
  }
}
