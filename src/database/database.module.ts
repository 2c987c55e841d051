import { DynamicModule, Global, Module, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app.config';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './data-source-options';
import { DatabaseDialect } from './dialect/database-dialect';
import { dialectOf } from './dialect/dialect-of';
import { runMigrations } from './migrate';
import { readReplicaProviders } from './replicas/read-replica.providers';
import { MonitorDataSource } from './monitor-data-source';
import { RowStreamer } from './row-streamer';
import { SqlLogger } from './sql-logger';
import { SqliteProcessLock } from './sqlite-process-lock';
import { TransactionRunner } from './transaction-runner';

export interface DatabaseModuleOptions {
  /** The service's claim on its SQLite file (see SqliteProcessLock), released when it closes. */
  sqliteClaim?: SqliteProcessLock;
}

/** Gives the service's claim on its SQLite file back when the application closes. */
class SqliteClaimRelease implements OnApplicationShutdown {
  constructor(private readonly claim: SqliteProcessLock | undefined) {}

  onApplicationShutdown(): void {
    this.claim?.release();
  }
}

/** The database connection, migrated on start, and the helpers every feature uses with it. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig, moduleOptions: DatabaseModuleOptions = {}): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...buildDataSourceOptions(config.database, {
              schema: config.databaseSchema,
              limits: config.scale,
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
      providers: [
        TransactionRunner,
        RowStreamer,
        // Chosen once, from the DataSource: everything that differs between the databases.
        { provide: DatabaseDialect, useFactory: dialectOf, inject: [DataSource] },
        ...readReplicaProviders(config),
        {
          provide: SqliteClaimRelease,
          useValue: new SqliteClaimRelease(moduleOptions.sqliteClaim),
        },
      ],
      exports: [TransactionRunner, RowStreamer, DatabaseDialect],
    };
  }
}
