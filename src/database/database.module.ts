import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app.config';
import { buildDataSourceOptions } from './data-source-options';
import { runMigrations } from './migrate';
import { MonitorDataSource } from './monitor-data-source';
import { RowStreamer } from './row-streamer';
import { SqlLogger } from './sql-logger';
import { TransactionRunner } from './transaction-runner';

/** The database connection, migrated on start, and the helpers every feature uses with it. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...buildDataSourceOptions(config.database, {
              schema: config.databaseSchema,
              logger: new SqlLogger(config.logLevel === 'trace'),
            }),
            retryAttempts: 5,
            retryDelay: 2000,
          }),
          dataSourceFactory: async (options) => {
            const dataSource = await new MonitorDataSource(options!).initialize();
            if (config.scale.migrationsRun) {
              await runMigrations(dataSource);
            }
            return dataSource;
          },
        }),
      ],
      providers: [TransactionRunner, RowStreamer],
      exports: [TransactionRunner, RowStreamer],
    };
  }
}
