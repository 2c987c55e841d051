import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyController } from './api-key.controller';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeyService } from './api-key.service';
import { UsersService } from './users.service';

/** Users, API keys and the guard that authenticates every route not marked @Public. */
@Module({
  controllers: [ApiKeyController],
  providers: [ApiKeyService, UsersService, { provide: APP_GUARD, useClass: ApiKeyGuard }],
  exports: [ApiKeyService, UsersService],
})
export class AuthModule {}
