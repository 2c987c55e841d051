import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../config/app.config';
import { DatabaseTarget } from '../config/database-url';

/**
 * Claims a SQLite database file for this service process, or refuses to start.
 *
 * Two service processes on one SQLite file is a common mistake (a second `npm start`, replicas
 * pointed at a shared volume). Each process queues its own transactions and reads through its own
 * connections, so together they can answer what the contract does not allow; SQLite is the
 * embedded, single-process default, and several replicas need PostgreSQL. So the service holds an
 * exclusive lock on a small companion file (`<file>.lock`) for as long as it runs: SQLite's own
 * file locking, which the operating system releases when the process ends, however it ends
 * (kill -9 included), so a stale lock never blocks the next start. The admin CLI does not claim
 * the file: it runs beside the service.
 */
export class SqliteProcessLock {
  private constructor(private readonly database: Database.Database) {}

  static claim(target: DatabaseTarget): SqliteProcessLock | undefined {
    if (target.kind !== 'sqlite' || target.file === ':memory:') {
      return undefined;
    }
    // A first start: the database's folder does not exist yet.
    fs.mkdirSync(path.dirname(target.file), { recursive: true });
    const lockFile = `${target.file}.lock`;
    const database = new Database(lockFile, { timeout: 0 });
    try {
      // The lock file holds no data: a journal in memory leaves no `-journal` file beside it.
      database.pragma('journal_mode = MEMORY');
      database.pragma('locking_mode = EXCLUSIVE');
      // An exclusive transaction that stays open: any other process's BEGIN EXCLUSIVE is refused.
      database.exec('BEGIN EXCLUSIVE');
    } catch (error) {
      database.close();
      if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
        throw new SqliteFileInUseError(target.file);
      }
      throw error;
    }
    return new SqliteProcessLock(database);
  }

  release(): void {
    if (this.database.open) {
      this.database.close();
    }
  }
}

/** Another service process holds the file: the start is refused with a sentence that says why. */
export class SqliteFileInUseError extends ConfigError {
  constructor(file: string) {
    super(
      `Another monitor-service process is already using the SQLite database ${file}. ` +
        'SQLite serves one service process per file: stop the other one, give this one its own ' +
        'DATABASE_URL, or use PostgreSQL to run several replicas.',
    );
  }
}
