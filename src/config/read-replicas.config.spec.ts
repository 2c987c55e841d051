import { readReadReplicasConfig } from './read-replicas.config';

const POSTGRES = { kind: 'postgres' as const, url: 'postgres://postgres@db:5432/monitor' };

describe('readReadReplicasConfig', () => {
  it('has no replicas by default: everything stays on the primary', () => {
    const problems: string[] = [];
    expect(readReadReplicasConfig({}, POSTGRES, problems)).toEqual({
      urls: [],
      maxLagMs: 10_000,
      pollIntervalMs: 500,
    });
    expect(problems).toEqual([]);
  });

  it('reads replica URLs separated by commas or spaces, and the lag and poll settings', () => {
    const problems: string[] = [];
    const config = readReadReplicasConfig(
      {
        DATABASE_READ_URLS: ' postgres://r1:5432/monitor, postgresql://u:secret@r2/monitor  ',
        DATABASE_READ_MAX_LAG: '2.5',
        DATABASE_READ_POLL_INTERVAL: '0.2',
      },
      POSTGRES,
      problems,
    );
    expect(problems).toEqual([]);
    expect(config).toEqual({
      urls: ['postgres://r1:5432/monitor', 'postgresql://u:secret@r2/monitor'],
      maxLagMs: 2500,
      pollIntervalMs: 200,
    });
  });

  it('refuses an entry that is not a PostgreSQL URL without repeating it (it may hold a password)', () => {
    const problems: string[] = [];
    readReadReplicasConfig(
      { DATABASE_READ_URLS: 'postgres://r1/monitor,mysql://u:secret@r2/db,sqlite:./x.db' },
      POSTGRES,
      problems,
    );
    expect(problems).toEqual([
      'DATABASE_READ_URLS: entry 2 is not a postgres:// or postgresql:// URL.',
      'DATABASE_READ_URLS: entry 3 is not a postgres:// or postgresql:// URL.',
    ]);
    expect(problems.join(' ')).not.toContain('secret');
  });

  it('refuses replicas of a SQLite database, and bad durations', () => {
    const problems: string[] = [];
    readReadReplicasConfig(
      {
        DATABASE_READ_URLS: 'postgres://r1/monitor',
        DATABASE_READ_MAX_LAG: '0',
        DATABASE_READ_POLL_INTERVAL: 'soon',
      },
      { kind: 'sqlite', file: '/data/monitor.db' },
      problems,
    );
    expect(problems).toEqual([
      'DATABASE_READ_URLS needs a PostgreSQL DATABASE_URL (the replicas stream from it).',
      'DATABASE_READ_MAX_LAG must be a number of seconds above 0 and at most 86400, got "0".',
      'DATABASE_READ_POLL_INTERVAL must be a number of seconds above 0 and at most 86400, got "soon".',
    ]);
  });
});
