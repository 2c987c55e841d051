import { DatabaseTarget, parseDatabaseUrl } from './database-url';
import { isApiKeyFormat } from '../auth/api-key-format';
import { OperationsConfig, readOperationsConfig } from './operations.config';
import { loadRetentionConfig, RetentionConfig } from './retention.config';
import { loadScaleConfig, ScaleConfig } from './scale.config';
import { HttpLimits, readBodyLimitBytes, readHttpLimits } from './http-limits.config';
import { readThrottlingConfig, ThrottlingConfig } from './throttling.config';
import { ReadReplicasConfig, readReadReplicasConfig } from './read-replicas.config';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The service's settings, read once from the environment and validated. */
export interface AppConfig extends OperationsConfig {
  port: number;
  database: DatabaseTarget;
  /** PostgreSQL only: the schema the tables live in (default: the server's search_path). */
  databaseSchema: string | undefined;
  logLevel: LogLevel;
  superuserApiKey: string | undefined;
  /** Largest accepted JSON body, in bytes. */
  bodyLimitBytes: number;
  /** How much of the run logs and messages to keep (retention.config.ts). */
  retention: RetentionConfig;
  /** Running under load, behind a pooler and through faults. */
  scale: ScaleConfig;
  /** The HTTP server's limits and timeouts. */
  http: HttpLimits;
  /** Failed-authentication and per-key request limits. */
  throttling: ThrottlingConfig;
  /** PostgreSQL streaming replicas that serve reads; none by default. */
  readReplicas: ReadReplicasConfig;
}

export class ConfigError extends Error {}

/** Validates the environment; every problem is listed in one sentence per line. */
export function loadAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];

  let port = 3000;
  if (env.PORT !== undefined && env.PORT !== '') {
    const parsed = Number(env.PORT);
    if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) {
      problems.push(`PORT must be a whole number from 0 to 65535, got "${env.PORT}".`);
    } else {
      port = parsed;
    }
  }

  let database: DatabaseTarget = { kind: 'sqlite', file: ':memory:' };
  try {
    database = parseDatabaseUrl(env.DATABASE_URL);
  } catch (error) {
    problems.push(`${(error as Error).message}.`);
  }

  let logLevel: LogLevel = 'info';
  if (env.LOG_LEVEL) {
    const level = env.LOG_LEVEL.toLowerCase();
    if ((LOG_LEVELS as readonly string[]).includes(level)) {
      logLevel = level as LogLevel;
    } else {
      problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}".`);
    }
  }

  const databaseSchema = env.DATABASE_SCHEMA || undefined;
  if (databaseSchema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(databaseSchema)) {
    problems.push(
      'DATABASE_SCHEMA must be a lowercase SQL identifier (a-z, 0-9, _), at most 63 characters.',
    );
  }

  const superuserApiKey = env.MONITOR_SUPERUSER_API_KEY || undefined;
  if (superuserApiKey !== undefined && !isApiKeyFormat(superuserApiKey)) {
    problems.push(
      'MONITOR_SUPERUSER_API_KEY must be "sk-" followed by at least 32 URL-safe characters (A-Z, a-z, 0-9, "-", "_").',
    );
  }

  const operations = readOperationsConfig(env, problems);
  const retention = loadRetentionConfig(env, problems);
  const scale = loadScaleConfig(env, problems);
  // Hostile input and server limits (issue 8).
  const bodyLimitBytes = readBodyLimitBytes(env, problems);
  const http = readHttpLimits(env, problems);
  const throttling = readThrottlingConfig(env, problems);
  const readReplicas = readReadReplicasConfig(env, database, problems);

  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n- ${problems.join('\n- ')}`);
  }
  return {
    port,
    database,
    databaseSchema,
    logLevel,
    superuserApiKey,
    bodyLimitBytes,
    http,
    throttling,
    readReplicas,
    ...operations,
    retention,
    scale,
  };
}
