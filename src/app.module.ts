import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { AuthModule } from './auth/auth.module';
import { SuperuserBootstrap } from './auth/superuser.bootstrap';
import { ApiExceptionFilter } from './common/http/api-exception.filter';
import { BodyParseErrorInterceptor } from './common/http/body-parse-error.interceptor';
import { MalformedPathInterceptor } from './common/http/malformed-path.interceptor';
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
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        { provide: APP_PIPE, useClass: RequestValidationPipe },
        { provide: APP_INTERCEPTOR, useClass: MalformedPathInterceptor },
        { provide: APP_INTERCEPTOR, useClass: BodyParseErrorInterceptor },
      ],
    };
  }
}
