import * as os from 'node:os';
import * as path from 'node:path';
import { readCount, readSeconds } from './http-limits.config';

/** Settings for running under load, behind a pooler and through faults (see README, "Running at scale"). */
export interface ScaleConfig {
  /** Run pending migrations on start (MIGRATIONS_RUN, default true). */
  migrationsRun: boolean;
  /** Where answers built inside a transaction overflow to before they are sent (SPOOL_DIR). */
  spoolDirectory: string;
  /** PostgreSQL connections per process at most (DATABASE_POOL_SIZE, default 10). */
  poolSize: number;
  /** Time to open a PostgreSQL connection, and to wait for a pooled one (DATABASE_CONNECT_TIMEOUT). */
  connectTimeoutMs: number;
  /**
   * Longest a statement may run, and longest a connection with a statement in flight may stay
   * silent before it is given up as dead (DATABASE_STATEMENT_TIMEOUT).
   */
  statementTimeoutMs: number;
  /** Longest a transaction may sit idle between its statements (DATABASE_IDLE_IN_TRANSACTION_TIMEOUT). */
  idleInTransactionTimeoutMs: number;
  /** Idle time before TCP keepalive probes start on a database connection (DATABASE_KEEPALIVE). */
  keepAliveMs: number;
  /** Longest /health_check waits for the database before answering 503 (HEALTH_CHECK_TIMEOUT). */
  healthCheckTimeoutMs: number;
  /** On SIGTERM, how long answers still being sent may take before they are cut (SHUTDOWN_TIMEOUT). */
  shutdownTimeoutMs: number;
}

/** Reads the scale settings, adding a sentence to `problems` for each bad value. */
export function loadScaleConfig(env: NodeJS.ProcessEnv, problems: string[]): ScaleConfig {
  return {
    migrationsRun: readBoolean(env, 'MIGRATIONS_RUN', true, problems),
    // Any path; it is created when first needed.
    spoolDirectory: path.resolve(env.SPOOL_DIR || os.tmpdir()),
    poolSize: readCount(env, 'DATABASE_POOL_SIZE', 10, problems, 1000),
    connectTimeoutMs: readSeconds(env, 'DATABASE_CONNECT_TIMEOUT', 5, problems),
    statementTimeoutMs: readSeconds(env, 'DATABASE_STATEMENT_TIMEOUT', 60, problems),
    idleInTransactionTimeoutMs: readSeconds(
      env,
      'DATABASE_IDLE_IN_TRANSACTION_TIMEOUT',
      10,
      problems,
    ),
    keepAliveMs: readSeconds(env, 'DATABASE_KEEPALIVE', 10, problems),
    healthCheckTimeoutMs: readSeconds(env, 'HEALTH_CHECK_TIMEOUT', 2, problems),
    shutdownTimeoutMs: readSeconds(env, 'SHUTDOWN_TIMEOUT', 25, problems),
  };
}

function readBoolean(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: boolean,
  problems: string[],
): boolean {
  const value = env[name];
  if (value === undefined || value === '') {
    return fallback;
  }
  const normalized = value.toLowerCase();
  if (normalized === 'true' || normalized === '1') {
    return true;
  }
  if (normalized === 'false' || normalized === '0') {
    return false;
  }
  problems.push(`${name} must be true or false, got "${value}".`);
  return fallback;
}
