import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { QueryFailedError, QueryRunnerAlreadyReleasedError } from 'typeorm';
import { isDatabaseUnavailable, isTransientConflict, isUniqueViolation } from './database-errors';

/** A driver error as pg and better-sqlite3 raise it: an Error with a string code. */
function driverError(code: string, message = 'driver error'): Error {
  return Object.assign(new Error(message), { code });
}

/** The same error as TypeORM hands it on: wrapped in a QueryFailedError. */
function wrapped(error: Error): QueryFailedError {
  return new QueryFailedError('SELECT 1', [], error);
}

function catchError(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  throw new Error('no error was thrown');
}

describe('isDatabaseUnavailable', () => {
  it.each([
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'EPIPE',
    'EHOSTUNREACH',
    'ENOTFOUND',
    'EAI_AGAIN',
    '57P01',
    '57P02',
    '57P03',
    '53300',
    '08000',
    '08001',
    '08003',
    '08004',
    '08006',
    'SQLITE_CANTOPEN',
    'SQLITE_IOERR',
    'SQLITE_IOERR_WRITE',
    'SQLITE_IOERR_SHORT_READ',
    'SQLITE_CANTOPEN_ISDIR',
  ])('is true for the code %s, bare or wrapped by TypeORM', (code) => {
    expect(isDatabaseUnavailable(driverError(code))).toBe(true);
    expect(isDatabaseUnavailable(wrapped(driverError(code)))).toBe(true);
  });

  it.each([
    'Connection terminated unexpectedly',
    'Connection terminated due to connection timeout',
    'timeout exceeded when trying to connect',
    'Client has encountered a connection error and is not queryable',
    'Connection is not established with postgres database',
    'the database system is starting up',
    'the database system is shutting down',
  ])('is true for the message "%s" without a code', (message) => {
    expect(isDatabaseUnavailable(new Error(message))).toBe(true);
    expect(isDatabaseUnavailable(wrapped(new Error(message)))).toBe(true);
  });

  it("is true for TypeORM's refusal to use a query runner its dead connection released", () => {
    expect(isDatabaseUnavailable(new QueryRunnerAlreadyReleasedError())).toBe(true);
  });

  it.each([
    ['a syntax error', '42601'],
    ['a unique violation', '23505'],
    ['a serialization failure', '40001'],
    ['a missing table', '42P01'],
    ['a SQLite constraint', 'SQLITE_CONSTRAINT_UNIQUE'],
    ['a busy SQLite file', 'SQLITE_BUSY'],
    ['a generic SQLite error', 'SQLITE_ERROR'],
    ['a code that merely starts like one', 'SQLITE_IOERRATIC'],
  ])('is false for %s', (_label, code) => {
    expect(isDatabaseUnavailable(driverError(code))).toBe(false);
    expect(isDatabaseUnavailable(wrapped(driverError(code)))).toBe(false);
  });

  it.each([
    ['a plain Error', new Error('boom')],
    ['null', null],
    ['undefined', undefined],
    ['a string', 'ECONNREFUSED'],
    ['a numeric code', { code: 57 }],
  ])('is false for %s', (_label, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it('is true for what pg raises when nothing listens on the port', async () => {
    const client = new Client({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 2000 });
    const error = await client.connect().then(
      () => undefined,
      (reason: unknown) => reason,
    );
    await client.end().catch(() => undefined);
    expect(error).toBeDefined();
    expect(isDatabaseUnavailable(error)).toBe(true);
  });
});

describe('isTransientConflict', () => {
  it.each(['40001', '40P01', 'SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_RECOVERY'])(
    'is true for %s',
    (code) => {
      expect(isTransientConflict(driverError(code))).toBe(true);
      expect(isTransientConflict(wrapped(driverError(code)))).toBe(true);
    },
  );

  it.each(['23505', '40002', 'ECONNREFUSED', 'SQLITE_LOCKED', 'SQLITE_CONSTRAINT'])(
    'is false for %s',
    (code) => {
      expect(isTransientConflict(driverError(code))).toBe(false);
    },
  );

  describe('with real SQLite errors', () => {
    let directory: string;
    beforeEach(() => {
      directory = fs.mkdtempSync(path.join(os.tmpdir(), 'database-errors-'));
    });
    afterEach(() => {
      fs.rmSync(directory, { recursive: true, force: true });
    });

    it('is true when another connection holds the write lock', () => {
      const file = path.join(directory, 'busy.db');
      const holder = new Database(file);
      holder.pragma('journal_mode = WAL');
      holder.exec('CREATE TABLE t (x)');
      const other = new Database(file, { timeout: 1 });
      holder.exec('BEGIN IMMEDIATE; INSERT INTO t VALUES (1)');
      try {
        expect(isTransientConflict(catchError(() => other.exec('BEGIN IMMEDIATE')))).toBe(true);
      } finally {
        holder.exec('COMMIT');
        other.close();
        holder.close();
      }
    });

    it('is true when a read transaction cannot write past a newer snapshot', () => {
      const file = path.join(directory, 'snapshot.db');
      const writer = new Database(file);
      writer.pragma('journal_mode = WAL');
      writer.exec('CREATE TABLE t (x)');
      const reader = new Database(file, { timeout: 1 });
      try {
        reader.exec('BEGIN');
        reader.prepare('SELECT * FROM t').all();
        writer.exec('INSERT INTO t VALUES (1)');
        const error = catchError(() => reader.exec('INSERT INTO t VALUES (2)'));
        expect(isTransientConflict(error)).toBe(true);
      } finally {
        reader.close();
        writer.close();
      }
    });
  });
});

describe('isUniqueViolation', () => {
  it.each(['23505', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY'])(
    'is true for %s',
    (code) => {
      expect(isUniqueViolation(driverError(code))).toBe(true);
      expect(isUniqueViolation(wrapped(driverError(code)))).toBe(true);
    },
  );

  it.each(['23503', '23502', 'SQLITE_CONSTRAINT_FOREIGNKEY', 'SQLITE_CONSTRAINT_NOTNULL'])(
    'is false for the other constraint %s',
    (code) => {
      expect(isUniqueViolation(driverError(code))).toBe(false);
    },
  );

  it('is true for a real SQLite duplicate key and duplicate unique value', () => {
    const db = new Database(':memory:');
    try {
      db.exec('CREATE TABLE t (id TEXT PRIMARY KEY, name TEXT UNIQUE)');
      db.exec("INSERT INTO t VALUES ('a', 'x')");
      expect(isUniqueViolation(catchError(() => db.exec("INSERT INTO t VALUES ('a', 'y')")))).toBe(
        true,
      );
      expect(isUniqueViolation(catchError(() => db.exec("INSERT INTO t VALUES ('b', 'x')")))).toBe(
        true,
      );
      expect(isUniqueViolation(catchError(() => db.exec('INSERT INTO t VALUES (NULL)')))).toBe(
        false,
      );
    } finally {
      db.close();
    }
  });
});
