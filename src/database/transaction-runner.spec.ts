import { DataSource } from 'typeorm';
import { RowStreamer } from './row-streamer';
import { TransactionRunner } from './transaction-runner';

/** An error as the drivers raise it when a transaction loses a race. */
function conflict(code = '40001'): Error {
  return Object.assign(new Error('could not serialize access'), { code });
}

describe('TransactionRunner (SQLite in memory)', () => {
  let dataSource: DataSource;
  let runner: TransactionRunner;

  beforeEach(async () => {
    dataSource = await new DataSource({
      type: 'better-sqlite3',
      database: ':memory:',
    }).initialize();
    await dataSource.query('CREATE TABLE "item" ("id" integer PRIMARY KEY)');
    runner = new TransactionRunner(dataSource, new RowStreamer(dataSource));
  });

  afterEach(async () => {
    await dataSource.destroy();
  });

  const ids = async () =>
    (await dataSource.query<{ id: number }[]>('SELECT "id" FROM "item" ORDER BY "id"')).map(
      (row) => row.id,
    );

  it('commits the work and returns its result', async () => {
    const result = await runner.run(async (manager) => {
      await manager.query('INSERT INTO "item" VALUES (1), (2)');
      return 'done';
    });
    expect(result).toBe('done');
    expect(await ids()).toEqual([1, 2]);
  });

  it('rolls everything back when the work fails, and passes the error on untouched', async () => {
    const failure = new Error('not a conflict');
    let attempts = 0;
    await expect(
      runner.run(async (manager) => {
        attempts += 1;
        await manager.query('INSERT INTO "item" VALUES (1)');
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(attempts).toBe(1);
    expect(await ids()).toEqual([]);
  });

  it.each(['40001', '40P01', 'SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT'])(
    'retries from the start after a %s conflict, keeping only the successful attempt',
    async (code) => {
      let attempts = 0;
      const result = await runner.run(async (manager) => {
        attempts += 1;
        await manager.query('INSERT INTO "item" VALUES (?)', [attempts]);
        if (attempts < 3) {
          throw conflict(code);
        }
        return attempts;
      });
      expect(result).toBe(3);
      expect(await ids()).toEqual([3]);
    },
  );

  it('gives up after five attempts with the last conflict, having written nothing', async () => {
    let attempts = 0;
    const errors: Error[] = [];
    const outcome = runner.run(async (manager) => {
      attempts += 1;
      await manager.query('INSERT INTO "item" VALUES (?)', [attempts]);
      const error = conflict();
      errors.push(error);
      throw error;
    });
    await expect(outcome).rejects.toThrow('could not serialize access');
    await outcome.catch((error: unknown) => expect(error).toBe(errors[errors.length - 1]));
    expect(attempts).toBe(5);
    expect(await ids()).toEqual([]);
  });

  it('runs transactions one after another on the single SQLite connection, never nested', async () => {
    const events: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = runner.run(async (manager) => {
      events.push('first:start');
      await manager.query('INSERT INTO "item" VALUES (1)');
      await gate;
      events.push('first:end');
    });
    const second = runner.run(async (manager) => {
      events.push('second:start');
      await manager.query('INSERT INTO "item" VALUES (2)');
      events.push('second:end');
    });
    // Let the second one try to start while the first is still open.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['first:start']);
    release();
    await Promise.all([first, second]);
    expect(events).toEqual(['first:start', 'first:end', 'second:start', 'second:end']);
    expect(await ids()).toEqual([1, 2]);
  });

  it('goes on with the queue after a failed transaction', async () => {
    const failed = runner.run(() => Promise.reject(new Error('first fails')));
    const next = runner.run(async (manager) => {
      await manager.query('INSERT INTO "item" VALUES (7)');
      return 'ran';
    });
    await expect(failed).rejects.toThrow('first fails');
    await expect(next).resolves.toBe('ran');
    expect(await ids()).toEqual([7]);
  });
});
