import Database from 'better-sqlite3';
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { DataSourceOptions, Logger } from 'typeorm';
import { parseDatabaseUrl } from '../src/config/database-url';
import { buildDataSourceOptions } from '../src/database/data-source-options';
import { WORK_DIR } from './paths';
import { median } from './stats';

/** The columns of a message as the service answers them, in the contract's order. */
const SELECT_COLUMNS =
  '"m"."id" AS "id", "m"."flow_id" AS "flow_id", "m"."timestamp" AS "timestamp", ' +
  '"m"."sender" AS "sender", "m"."sender_name" AS "sender_name", "m"."session_id" AS "session_id", ' +
  '"m"."context_id" AS "context_id", "m"."text" AS "text", "m"."files" AS "files", "m"."edit" AS "edit", ' +
  '"m"."properties" AS "properties", "m"."category" AS "category", ' +
  '"m"."content_blocks" AS "content_blocks", "m"."duration" AS "duration", ' +
  '"m"."session_metadata" AS "session_metadata"';

/** The properties Langflow stores with a chat message, as the service would have serialized them. */
const PROPERTIES = JSON.stringify({
  text_color: '',
  background_color: '',
  edited: false,
  source: { id: null, display_name: null, source: null },
  icon: '',
  allow_markdown: false,
  positive_feedback: null,
  state: 'complete',
  targets: [],
});
const FILLER = 'The quick brown fox jumps over the lazy dog. '.repeat(4);

export type DatabaseKind = 'sqlite' | 'postgres';

/** How the service, the plain server and Langflow's contender reach the bench's data. */
export interface DatabaseEndpoint {
  /** DATABASE_URL (and DATABASE_SCHEMA) for the service. */
  readonly serviceEnv: Record<string, string>;
  /** PLAIN_DATABASE_URL (and PLAIN_DATABASE_SCHEMA) for bench/plain-server.ts. */
  readonly plainEnv: Record<string, string>;
  /** Options for a TypeORM DataSource on the same data (Langflow's contender). */
  dataSourceOptions(logger?: Logger): DataSourceOptions;
}

/** What the bench needs from a database: a place to seed, the floor's statements, and cleanup. */
export interface BenchDatabase extends DatabaseEndpoint {
  readonly kind: DatabaseKind;
  /** PostgreSQL: the server's URL, and the same data reached through another URL (a proxy). */
  readonly url?: string;
  via?(url: string): DatabaseEndpoint;
  /** Connects the bench's own driver connection (after the service has migrated the schema). */
  connect(): Promise<void>;
  /** The id of the user `username`. */
  userId(username: string): Promise<string>;
  /** Inserts a flow owned by the user and returns its id. */
  createFlow(userId: string): Promise<string>;
  /** Inserts `count` messages of one session in one flow, timestamps one millisecond apart. */
  seedSession(flowId: string, sessionId: string, count: number): Promise<void>;
  /** Refreshes the planner's statistics once seeding is done. */
  analyze(): Promise<void>;
  /**
   * The floor: the service's UPDATE in a transaction and its re-select, straight through the
   * driver, every row read. Returns the number of rows read.
   */
  floorRename(ownerId: string, oldSessionId: string, newSessionId: string): Promise<number>;
  /** The database's name and version, for the report. */
  version(): Promise<string>;
  /** Closes connections and removes everything the bench made. */
  cleanup(): Promise<void>;
}

/** PostgreSQL at `url` (default BENCH_DATABASE_URL) in a schema of its own, else a SQLite file. */
export function openBenchDatabase(url = process.env.BENCH_DATABASE_URL): BenchDatabase {
  if (url) {
    return new PostgresBenchDatabase(url);
  }
  return new SqliteBenchDatabase(path.join(WORK_DIR, `bench-${process.pid}.db`));
}

/** Message text of about 230 characters, different for every message. */
function messageText(index: number): string {
  return `Message ${index}: ${FILLER}`;
}

function timestampAt(index: number): string {
  return new Date(Date.UTC(2026, 0, 1) + index).toISOString();
}

class SqliteBenchDatabase implements BenchDatabase {
  readonly kind = 'sqlite';
  readonly serviceEnv: Record<string, string>;
  readonly plainEnv: Record<string, string>;
  private db: Database.Database | undefined;

  constructor(private readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.removeFiles();
    this.serviceEnv = { DATABASE_URL: `sqlite:${file}` };
    this.plainEnv = { PLAIN_DATABASE_URL: `sqlite:${file}` };
  }

  dataSourceOptions(logger?: Logger): DataSourceOptions {
    return buildDataSourceOptions(parseDatabaseUrl(`sqlite:${this.file}`), { logger });
  }

  connect(): Promise<void> {
    this.db = new Database(this.file, { fileMustExist: true, timeout: 30_000 });
    this.db.pragma('journal_mode = WAL');
    return Promise.resolve();
  }

  userId(username: string): Promise<string> {
    const row = this.connection()
      .prepare('SELECT "id" FROM "user" WHERE "username" = ?')
      .get(username) as { id: string } | undefined;
    if (!row) {
      throw new Error(`no user "${username}" in the bench database`);
    }
    return Promise.resolve(row.id);
  }

  createFlow(userId: string): Promise<string> {
    const id = randomUUID();
    this.connection()
      .prepare('INSERT INTO "flow" ("id", "user_id", "created_at") VALUES (?, ?, ?)')
      .run(id, userId, new Date().toISOString());
    return Promise.resolve(id);
  }

  seedSession(flowId: string, sessionId: string, count: number): Promise<void> {
    const db = this.connection();
    const insert = db.prepare(
      'INSERT INTO "message" ("id", "flow_id", "timestamp", "sender", "sender_name", "session_id", ' +
        '"text", "files", "edit", "error", "properties", "category", "content_blocks") ' +
        `VALUES (?, ?, ?, ?, ?, ?, ?, '[]', 0, 0, ?, 'message', '[]')`,
    );
    const insertBatch = db.transaction((from: number, to: number) => {
      for (let index = from; index < to; index += 1) {
        const human = index % 2 === 0;
        insert.run(
          randomUUID(),
          flowId,
          timestampAt(index),
          human ? 'User' : 'Machine',
          human ? 'User' : 'AI',
          sessionId,
          messageText(index),
          PROPERTIES,
        );
      }
    });
    for (let from = 0; from < count; from += 50_000) {
      insertBatch(from, Math.min(count, from + 50_000));
    }
    return Promise.resolve();
  }

  analyze(): Promise<void> {
    this.connection().exec('ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);');
    return Promise.resolve();
  }

  floorRename(ownerId: string, oldSessionId: string, newSessionId: string): Promise<number> {
    const db = this.connection();
    const renameId = randomUUID();
    const update = db.prepare(
      'UPDATE "message" SET "session_id" = ?, "rename_id" = ? WHERE session_id = ? AND flow_id IN ' +
        '(SELECT "owned_flow"."id" FROM "flow" "owned_flow" WHERE "owned_flow"."user_id" = ?)',
    );
    db.transaction(() => update.run(newSessionId, renameId, oldSessionId, ownerId)).immediate();
    const select = db.prepare(
      `SELECT ${SELECT_COLUMNS} FROM "message" "m" WHERE "m"."session_id" = ? AND "m"."rename_id" = ? ` +
        'ORDER BY "m"."timestamp" ASC, "m"."id" ASC',
    );
    let rows = 0;
    for (const _row of select.iterate(newSessionId, renameId)) {
      rows += 1;
    }
    return Promise.resolve(rows);
  }

  version(): Promise<string> {
    const row = this.connection().prepare('SELECT sqlite_version() AS "v"').get() as { v: string };
    return Promise.resolve(`SQLite ${row.v} (better-sqlite3, WAL, file)`);
  }

  cleanup(): Promise<void> {
    this.db?.close();
    this.db = undefined;
    this.removeFiles();
    return Promise.resolve();
  }

  private connection(): Database.Database {
    if (!this.db) {
      throw new Error('the bench database is not connected');
    }
    return this.db;
  }

  private removeFiles(): void {
    for (const suffix of ['', '-wal', '-shm', '-journal']) {
      fs.rmSync(`${this.file}${suffix}`, { force: true });
    }
  }
}

class PostgresBenchDatabase implements BenchDatabase {
  readonly kind = 'postgres';
  readonly serviceEnv: Record<string, string>;
  readonly plainEnv: Record<string, string>;
  /** A schema of its own, dropped afterwards, so the bench never touches other data. */
  private readonly schema = `bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  private client: Client | undefined;

  constructor(readonly url: string) {
    const endpoint = this.via(url);
    this.serviceEnv = endpoint.serviceEnv;
    this.plainEnv = endpoint.plainEnv;
  }

  via(url: string): DatabaseEndpoint {
    const schema = this.schema;
    return {
      serviceEnv: { DATABASE_URL: url, DATABASE_SCHEMA: schema },
      plainEnv: { PLAIN_DATABASE_URL: url, PLAIN_DATABASE_SCHEMA: schema },
      dataSourceOptions: (logger?: Logger) =>
        buildDataSourceOptions(parseDatabaseUrl(url), { schema, logger }),
    };
  }

  dataSourceOptions(logger?: Logger): DataSourceOptions {
    return this.via(this.url).dataSourceOptions(logger);
  }

  async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.url,
      options: `-c search_path="${this.schema}"`,
      application_name: 'monitor-bench',
    });
    await client.connect();
    this.client = client;
  }

  async userId(username: string): Promise<string> {
    const result = await this.connection().query<{ id: string }>(
      'SELECT "id" FROM "user" WHERE "username" = $1',
      [username],
    );
    if (result.rows.length === 0) {
      throw new Error(`no user "${username}" in the bench schema`);
    }
    return result.rows[0].id;
  }

  async createFlow(userId: string): Promise<string> {
    const id = randomUUID();
    await this.connection().query(
      'INSERT INTO "flow" ("id", "user_id", "created_at") VALUES ($1, $2, $3)',
      [id, userId, new Date().toISOString()],
    );
    return id;
  }

  async seedSession(flowId: string, sessionId: string, count: number): Promise<void> {
    // Generated by the server in slices: a million rows never cross the wire as parameters.
    for (let from = 0; from < count; from += 200_000) {
      await this.connection().query(
        `INSERT INTO "message" ("id", "flow_id", "timestamp", "sender", "sender_name", "session_id",
           "text", "files", "edit", "error", "properties", "category", "content_blocks")
         SELECT gen_random_uuid(), $1,
           to_char(timestamp '2026-01-01 00:00:00' + i * interval '1 millisecond',
                   'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           CASE WHEN i % 2 = 0 THEN 'User' ELSE 'Machine' END,
           CASE WHEN i % 2 = 0 THEN 'User' ELSE 'AI' END,
           $2, 'Message ' || i || ': ' || $3, '[]', false, false, $4, 'message', '[]'
         FROM generate_series($5::int, $6::int - 1) AS i`,
        [flowId, sessionId, FILLER, PROPERTIES, from, Math.min(count, from + 200_000)],
      );
    }
  }

  async analyze(): Promise<void> {
    await this.connection().query('VACUUM ANALYZE "message"');
  }

  async floorRename(ownerId: string, oldSessionId: string, newSessionId: string): Promise<number> {
    const client = this.connection();
    const renameId = randomUUID();
    await client.query('BEGIN');
    try {
      await client.query(
        'UPDATE "message" SET "session_id" = $1, "rename_id" = $2 WHERE session_id = $3 AND flow_id IN ' +
          '(SELECT "owned_flow"."id" FROM "flow" "owned_flow" WHERE "owned_flow"."user_id" = $4)',
        [newSessionId, renameId, oldSessionId, ownerId],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
    const result = await client.query(
      `SELECT ${SELECT_COLUMNS} FROM "message" "m" WHERE "m"."session_id" = $1 AND "m"."rename_id" = $2 ` +
        'ORDER BY "m"."timestamp" ASC, "m"."id" ASC',
      [newSessionId, renameId],
    );
    return result.rows.length;
  }

  async version(): Promise<string> {
    const result = await this.connection().query<{ server_version: string }>('SHOW server_version');
    return `PostgreSQL ${result.rows[0].server_version} (pg, same machine, TCP)`;
  }

  async cleanup(): Promise<void> {
    const client = this.client ?? new Client({ connectionString: this.url });
    if (!this.client) {
      await client.connect();
    }
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`);
    } finally {
      this.client = undefined;
      await client.end();
    }
  }

  private connection(): Client {
    if (!this.client) {
      throw new Error('the bench database is not connected');
    }
    return this.client;
  }
}

/** The median round trip of `SELECT 1` over one connection to `url`, in milliseconds. */
export async function medianRoundTripMs(url: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const times: number[] = [];
    for (let i = 0; i < 220; i += 1) {
      const startedAt = performance.now();
      await client.query('SELECT 1');
      if (i >= 20) {
        times.push(performance.now() - startedAt);
      }
    }
    return median(times);
  } finally {
    await client.end();
  }
}
