import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AppConfig } from '../config/app.config';
import { AppConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { LangflowImportModule } from './langflow-import/langflow-import.module';

/** What the admin CLI needs: the database (migrated) and the user and key services. */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CliModule,
      imports: [
        AppConfigModule.forRoot(config),
        DatabaseModule.forRoot(config),
        AuthModule,
        LangflowImportModule,
      ],
    };
  }
}
