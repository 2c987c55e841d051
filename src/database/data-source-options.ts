import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataSourceOptions, Logger } from 'typeorm';
import { DatabaseTarget } from '../config/database-url';
import { loadScaleConfig } from '../config/scale.config';
import { boundedClientClass, DatabaseWaitBounds } from './bounded-pg-client';
import { ENTITIES } from './entities';
import { InitialSchema1764000000000 as PostgresInitialSchema } from './migrations/postgres/1764000000000-InitialSchema';
import { InitialSchema1764000000000 as SqliteInitialSchema } from './migrations/sqlite/1764000000000-InitialSchema';
import { ApiKeyExpiryAndLastUse1766000000001 as PostgresApiKeyExpiryAndLastUse } from './migrations/postgres/1766000000001-ApiKeyExpiryAndLastUse';
import { ApiKeyExpiryAndLastUse1766000000001 as SqliteApiKeyExpiryAndLastUse } from './migrations/sqlite/1766000000001-ApiKeyExpiryAndLastUse';
import { MessageContextId1768000000001 as PostgresMessageContextId } from './migrations/postgres/1768000000001-MessageContextId';
import { MessageContextId1768000000001 as SqliteMessageContextId } from './migrations/sqlite/1768000000001-MessageContextId';
import { VertexBuilds1768000000002 as PostgresVertexBuilds } from './migrations/postgres/1768000000002-VertexBuilds';
import { VertexBuilds1768000000002 as SqliteVertexBuilds } from './migrations/sqlite/1768000000002-VertexBuilds';
import { Transactions1768000000003 as PostgresTransactions } from './migrations/postgres/1768000000003-Transactions';
import { Transactions1768000000003 as SqliteTransactions } from './migrations/sqlite/1768000000003-Transactions';
import { MessageTimestampIndex1768000000004 as PostgresMessageTimestampIndex } from './migrations/postgres/1768000000004-MessageTimestampIndex';
import { MessageTimestampIndex1768000000004 as SqliteMessageTimestampIndex } from './migrations/sqlite/1768000000004-MessageTimestampIndex';
import { MessageDurationAndSessionMetadata1768000000010 as PostgresMessageDurationAndSessionMetadata } from './migrations/postgres/1768000000010-MessageDurationAndSessionMetadata';
import { MessageDurationAndSessionMetadata1768000000010 as SqliteMessageDurationAndSessionMetadata } from './migrations/sqlite/1768000000010-MessageDurationAndSessionMetadata';
import { TracesAndSpans1768000200000 as PostgresTracesAndSpans } from './migrations/postgres/1768000200000-TracesAndSpans';
import { TracesAndSpans1768000200000 as SqliteTracesAndSpans } from './migrations/sqlite/1768000200000-TracesAndSpans';
import { OtlpHeldSpans1768000300000 as PostgresOtlpHeldSpans } from './migrations/postgres/1768000300000-OtlpHeldSpans';
import { OtlpHeldSpans1768000300000 as SqliteOtlpHeldSpans } from './migrations/sqlite/1768000300000-OtlpHeldSpans';

export const SQLITE_MIGRATIONS = [
  SqliteInitialSchema,
  SqliteApiKeyExpiryAndLastUse,
  SqliteMessageContextId,
  SqliteVertexBuilds,
  SqliteTransactions,
  SqliteMessageTimestampIndex,
  SqliteMessageDurationAndSessionMetadata,
  SqliteTracesAndSpans,
  SqliteOtlpHeldSpans,
];
export const POSTGRES_MIGRATIONS = [
  PostgresInitialSchema,
  PostgresApiKeyExpiryAndLastUse,
  PostgresMessageContextId,
  PostgresVertexBuilds,
  PostgresTransactions,
  PostgresMessageTimestampIndex,
  PostgresMessageDurationAndSessionMetadata,
  PostgresTracesAndSpans,
  PostgresOtlpHeldSpans,
];

/** Connection bounds (see ScaleConfig); a CLI run without them gets the defaults. */
export interface DatabaseLimits extends DatabaseWaitBounds {
  poolSize: number;
  connectTimeoutMs: number;
  keepAliveMs: number;
}

/** The defaults of the scale settings, for callers without a configuration (tests, the bench). */
const DEFAULT_LIMITS: DatabaseLimits = loadScaleConfig({}, []);

export interface DataSourceExtras {
  /** Pool size and timeouts; defaults when absent. */
  limits?: DatabaseLimits;
  /** PostgreSQL schema to live in (tests give each suite its own); default `public`. */
  schema?: string;
  logger?: Logger;
}

/**
 * The one place that turns a database target into TypeORM options. The app, the CLI and
 * ormconfig.ts all build their DataSource from here, so entities and migrations never diverge.
 */
export function buildDataSourceOptions(
  target: DatabaseTarget,
  extras: DataSourceExtras = {},
): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    synchronize: false,
    migrationsRun: false,
    migrationsTransactionMode: 'each' as const,
    logger: extras.logger,
    logging: extras.logger ? ('all' as const) : false,
  };
  if (target.kind === 'sqlite') {
    if (target.file !== ':memory:') {
      fs.mkdirSync(path.dirname(target.file), { recursive: true });
    }
    return {
      ...common,
      type: 'better-sqlite3',
      database: target.file,
      migrations: SQLITE_MIGRATIONS,
      // WAL lets the streaming readers run beside the writer without blocking it.
      enableWAL: target.file !== ':memory:',
      timeout: 5000,
    };
  }
  const schema = extras.schema;
  const limits = extras.limits ?? DEFAULT_LIMITS;
  return {
    ...common,
    type: 'postgres',
    url: target.url,
    schema,
    migrations: POSTGRES_MIGRATIONS,
    applicationName: 'monitor-service',
    extra: {
      max: limits.poolSize,
      // A request waits at most this long for a connection, then the service answers 503.
      connectionTimeoutMillis: limits.connectTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: limits.keepAliveMs,
      // Statements and transactions bounded without any session setting (see the class).
      Client: boundedClientClass(limits),
      // No session settings (startup `options`, SET): PgBouncer in transaction mode refuses or
      // scatters them. TypeORM qualifies every table with `schema`, migrations set search_path
      // for their own transaction.
    },
  };
}
