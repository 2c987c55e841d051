import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ApiKeyGuard } from './auth/api-key.guard';
import { AuthModule } from './auth/auth.module';
import { SuperuserBootstrap } from './auth/superuser.bootstrap';
import { ApiExceptionFilter } from './common/http/api-exception.filter';
import { UnreadableRequestGuard } from './common/http/unreadable-request.guard';
import { RequestValidationPipe } from './common/validation/request-validation.pipe';
import { AppConfig } from './config/app.config';
import { AppConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { SqliteProcessLock } from './database/sqlite-process-lock';
import { HealthModule } from './health/health.module';
import { LoggingModule } from './logging/logging.module';
import { createRootLogger } from './logging/root-logger';
import { MetricsModule } from './metrics/metrics.module';
import { MonitorModule } from './monitor/monitor.module';
import { TracingModule } from './tracing/tracing.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, sqliteClaim?: SqliteProcessLock): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        LoggingModule.forRoot(createRootLogger(config)),
        DatabaseModule.forRoot(config, { sqliteClaim }),
        MetricsModule,
        AuthModule,
        MonitorModule,
        HealthModule,
        TracingModule,
      ],
      providers: [
        SuperuserBootstrap,
        // Global guards run in this order: authentication (403, 429) comes before a 422 for a
        // path or body that could not be read. No global interceptor: any one would put every
        // request through Nest's rxjs pipeline (see UnreadableRequestGuard).
        { provide: APP_GUARD, useExisting: ApiKeyGuard },
        { provide: APP_GUARD, useClass: UnreadableRequestGuard },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        { provide: APP_PIPE, useClass: RequestValidationPipe },
      ],
    };
  }
}
