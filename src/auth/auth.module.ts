import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { APP_CONFIG } from '../config/app-config.token';
import { AppConfig } from '../config/app.config';
import { ApiKeyController } from './api-key.controller';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeyService } from './api-key.service';
import { RequestThrottle } from './request-throttle.service';
import { throttlerOptions } from './throttler-options';
import { UsersService } from './users.service';

/**
 * Users, API keys, and the guard that authenticates every route not marked @Public, with its
 * throttling of failed authentications and per-key rates. AppModule makes the guard global, so
 * that the order of the global guards is set in one place.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => throttlerOptions(config),
    }),
  ],
  controllers: [ApiKeyController],
  providers: [ApiKeyService, UsersService, RequestThrottle, ApiKeyGuard],
  exports: [ApiKeyService, UsersService, ApiKeyGuard],
})
export class AuthModule {}
