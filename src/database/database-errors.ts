/** Classifies driver errors in one place, so that callers never look at driver codes. */

interface DriverErrorShape {
  code?: unknown;
  message?: unknown;
  driverError?: DriverErrorShape;
}

function codeOf(error: unknown): string | undefined {
  const shape = error as DriverErrorShape | null;
  if (!shape || typeof shape !== 'object') {
    return undefined;
  }
  const code = shape.driverError?.code ?? shape.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  const shape = error as DriverErrorShape | null;
  const message = shape && typeof shape === 'object' ? shape.message : undefined;
  return typeof message === 'string' ? message : '';
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  // A standby, or a primary demoted mid-failover: writes come back once a primary answers.
  '25006', // read_only_sql_transaction
]);

/**
 * better-sqlite3 reports extended result codes (`SQLITE_IOERR_WRITE`, `SQLITE_BUSY_SNAPSHOT`), so
 * SQLite errors are matched by their primary code, the prefix.
 */
function hasSqlitePrimaryCode(code: string | undefined, primary: string): boolean {
  return code === primary || (code?.startsWith(`${primary}_`) ?? false);
}

const UNAVAILABLE_MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /Connection is not established/i,
  /database system is (starting up|shutting down)/i,
  /read-only transaction/i,
  // TypeORM releases a transaction's query runner when its connection dies under it; the next
  // statement (a COMMIT, say) then refuses to run, and nothing was committed.
  /Query runner already released/i,
];

/** The database cannot be reached right now; the request may succeed later. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = codeOf(error);
  if (
    (code && UNAVAILABLE_CODES.has(code)) ||
    hasSqlitePrimaryCode(code, 'SQLITE_CANTOPEN') ||
    hasSqlitePrimaryCode(code, 'SQLITE_IOERR') ||
    hasSqlitePrimaryCode(code, 'SQLITE_READONLY')
  ) {
    return true;
  }
  const message = messageOf(error);
  return UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message));
}

/**
 * A transaction lost a race (deadlock, serialization failure, busy file, or a SQLite snapshot
 * another process wrote past) and may be retried.
 */
export function isTransientConflict(error: unknown): boolean {
  const code = codeOf(error);
  return code === '40001' || code === '40P01' || hasSqlitePrimaryCode(code, 'SQLITE_BUSY');
}

/** A unique or primary-key constraint refused the write. */
export function isUniqueViolation(error: unknown): boolean {
  const code = codeOf(error);
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}
