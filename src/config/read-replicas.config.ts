import { DatabaseTarget, parseDatabaseUrl } from './database-url';
import { readSeconds } from './http-limits.config';

/** PostgreSQL streaming replicas that serve reads (see README, "Running at scale"). */
export interface ReadReplicasConfig {
  /** Replica URLs, each a hot standby of the primary or a PgBouncer in front of one (DATABASE_READ_URLS). */
  urls: string[];
  /** A replica further behind than this gets no reads until it catches up (DATABASE_READ_MAX_LAG). */
  maxLagMs: number;
  /** How often every replica's replay position is read, in the background (DATABASE_READ_POLL_INTERVAL). */
  pollIntervalMs: number;
}

/**
 * Reads the replica settings, adding a sentence to `problems` for each bad value. Replicas need a
 * PostgreSQL primary: SQLite has none to stream from.
 */
export function readReadReplicasConfig(
  env: NodeJS.ProcessEnv,
  primary: DatabaseTarget,
  problems: string[],
): ReadReplicasConfig {
  const urls: string[] = [];
  const listed = (env.DATABASE_READ_URLS ?? '').split(/[\s,]+/).filter((url) => url !== '');
  listed.forEach((url, index) => {
    let kind: DatabaseTarget['kind'] | undefined;
    try {
      kind = parseDatabaseUrl(url).kind;
    } catch {
      kind = undefined;
    }
    if (kind !== 'postgres') {
      // The URL itself is not repeated: it may hold a password.
      problems.push(
        `DATABASE_READ_URLS: entry ${index + 1} is not a postgres:// or postgresql:// URL.`,
      );
    } else {
      urls.push(url);
    }
  });
  if (urls.length > 0 && primary.kind !== 'postgres') {
    problems.push(
      'DATABASE_READ_URLS needs a PostgreSQL DATABASE_URL (the replicas stream from it).',
    );
  }
  return {
    urls,
    maxLagMs: readSeconds(env, 'DATABASE_READ_MAX_LAG', 10, problems),
    pollIntervalMs: readSeconds(env, 'DATABASE_READ_POLL_INTERVAL', 0.5, problems),
  };
}
