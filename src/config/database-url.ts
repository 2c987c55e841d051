import * as path from 'node:path';

/** Where the data lives, as told by DATABASE_URL. */
export type DatabaseTarget =
  | { kind: 'sqlite'; /** An absolute path, or `:memory:`. */ file: string }
  | { kind: 'postgres'; url: string };

export const DEFAULT_DATABASE_URL = 'sqlite:./data/monitor.db';

/**
 * Reads DATABASE_URL: `sqlite:<path>`, `sqlite::memory:`, or `postgres://` / `postgresql://`.
 * Throws an Error whose message is a sentence fit for a person starting the service.
 */
export function parseDatabaseUrl(raw: string | undefined): DatabaseTarget {
  const value = (raw ?? '').trim() || DEFAULT_DATABASE_URL;
  if (value.startsWith('sqlite:')) {
    const file = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === ':memory:') {
      return { kind: 'sqlite', file };
    }
    if (!file) {
      throw new Error('DATABASE_URL "sqlite:" needs a file path, e.g. sqlite:./data/monitor.db');
    }
    return { kind: 'sqlite', file: path.resolve(file) };
  }
  if (/^postgres(ql)?:\/\//.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new Error(
        'DATABASE_URL is not a valid PostgreSQL URL (postgres://user:pass@host:port/db)',
      );
    }
    if (!url.hostname || url.pathname.length <= 1) {
      throw new Error(
        'DATABASE_URL must name a host and a database: postgres://user:pass@host:port/db',
      );
    }
    return { kind: 'postgres', url: value };
  }
  throw new Error(
    'DATABASE_URL must be sqlite:<path>, sqlite::memory: or postgres://user:pass@host:port/db',
  );
}

/** The URL with its password hidden, for logs. */
export function describeDatabase(target: DatabaseTarget): string {
  if (target.kind === 'sqlite') {
    return `SQLite ${target.file}`;
  }
  const url = new URL(target.url);
  if (url.password) {
    url.password = '***';
  }
  return `PostgreSQL ${url.toString()}`;
}
