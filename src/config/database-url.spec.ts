import * as path from 'node:path';
import { DEFAULT_DATABASE_URL, describeDatabase, parseDatabaseUrl } from './database-url';

describe('parseDatabaseUrl', () => {
  it('defaults to the SQLite file under ./data when unset or blank', () => {
    const expected = { kind: 'sqlite', file: path.resolve('./data/monitor.db') };
    expect(DEFAULT_DATABASE_URL).toBe('sqlite:./data/monitor.db');
    expect(parseDatabaseUrl(undefined)).toEqual(expected);
    expect(parseDatabaseUrl('')).toEqual(expected);
    expect(parseDatabaseUrl('   ')).toEqual(expected);
  });

  it('resolves a relative SQLite path against the working directory', () => {
    expect(parseDatabaseUrl('sqlite:var/db.sqlite')).toEqual({
      kind: 'sqlite',
      file: path.resolve('var/db.sqlite'),
    });
  });

  it('keeps an absolute SQLite path, also in the sqlite:/// form', () => {
    expect(parseDatabaseUrl('sqlite:/srv/monitor.db')).toEqual({
      kind: 'sqlite',
      file: '/srv/monitor.db',
    });
    expect(parseDatabaseUrl('sqlite:///srv/monitor.db')).toEqual({
      kind: 'sqlite',
      file: '/srv/monitor.db',
    });
  });

  it('reads sqlite::memory: as a throwaway database', () => {
    expect(parseDatabaseUrl('sqlite::memory:')).toEqual({ kind: 'sqlite', file: ':memory:' });
  });

  it('trims surrounding whitespace', () => {
    expect(parseDatabaseUrl('  sqlite::memory:\n')).toEqual({ kind: 'sqlite', file: ':memory:' });
  });

  it('refuses sqlite: without a path', () => {
    expect(() => parseDatabaseUrl('sqlite:')).toThrow(
      'DATABASE_URL "sqlite:" needs a file path, e.g. sqlite:./data/monitor.db',
    );
  });

  it.each(['postgres://user:pass@db:5432/monitor', 'postgresql://db/monitor'])(
    'accepts the PostgreSQL URL %s as given',
    (url) => {
      expect(parseDatabaseUrl(url)).toEqual({ kind: 'postgres', url });
    },
  );

  it.each(['postgres://db:5432', 'postgres://db:5432/', 'postgres:///monitor'])(
    'refuses the PostgreSQL URL %s without a host or a database',
    (url) => {
      expect(() => parseDatabaseUrl(url)).toThrow(
        'DATABASE_URL must name a host and a database: postgres://user:pass@host:port/db',
      );
    },
  );

  it('refuses a PostgreSQL URL that does not parse', () => {
    expect(() => parseDatabaseUrl('postgres://db:notaport/monitor')).toThrow(
      'DATABASE_URL is not a valid PostgreSQL URL (postgres://user:pass@host:port/db)',
    );
  });

  it.each(['mysql://db/monitor', './data/monitor.db', 'SQLITE:x.db'])(
    'refuses the unsupported %s with the accepted forms',
    (url) => {
      expect(() => parseDatabaseUrl(url)).toThrow(
        'DATABASE_URL must be sqlite:<path>, sqlite::memory: or postgres://user:pass@host:port/db',
      );
    },
  );
});

describe('describeDatabase', () => {
  it('names the SQLite file', () => {
    expect(describeDatabase({ kind: 'sqlite', file: '/srv/monitor.db' })).toBe(
      'SQLite /srv/monitor.db',
    );
  });

  it('hides the PostgreSQL password and keeps the rest', () => {
    const described = describeDatabase({
      kind: 'postgres',
      url: 'postgres://monitor:s3cret@db:5432/monitor',
    });
    expect(described).toBe('PostgreSQL postgres://monitor:***@db:5432/monitor');
    expect(described).not.toContain('s3cret');
  });

  it('leaves a URL without a password as it is', () => {
    expect(describeDatabase({ kind: 'postgres', url: 'postgres://monitor@db/monitor' })).toBe(
      'PostgreSQL postgres://monitor@db/monitor',
    );
  });
});
