import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';

/*
 * Langflow-shaped databases, built as Langflow's models and alembic migrations define the tables
 * `user`, `flow`, `message`, `transaction` and `vertex_build` (SQLAlchemy's types: on SQLite a
 * UUID is CHAR(32) of hex digits, DATETIME text without a zone, JSON text; on PostgreSQL UUID,
 * TIMESTAMP WITHOUT TIME ZONE and JSON). Only a few of Langflow's other columns are kept, so
 * that the importer is seen to pick its own.
 */

/** The fixture's content, in one place, as the tests expect it back. */
export const LANGFLOW = {
  users: {
    alice: '11111111111141118111111111111111',
    bob: '22222222222242228222222222222222',
    carol: '33333333333343338333333333333333',
  },
  flows: {
    aliceChat: 'aaaaaaaaaaaa4aaa8aaaaaaaaaaaaaaa',
    aliceTools: 'abababababab4bab8bababababababab',
    bobChat: 'bbbbbbbbbbbb4bbb8bbbbbbbbbbbbbbb',
    orphan: 'cccccccccccc4ccc8ccccccccccccccc',
  },
};

/** A Langflow hex id as this service writes it. */
export function hyphenated(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const message = (n: number) =>
  `${String(n).padStart(8, '0')}00004000800000000000${String(n).padStart(4, '0')}`.slice(0, 32);

interface FixtureRows {
  users: unknown[][];
  flows: unknown[][];
  messages: unknown[][];
  transactions: unknown[][];
  builds: unknown[][];
}

function rows(id: (hex: string) => string, bool: (b: boolean) => unknown): FixtureRows {
  const { users, flows } = LANGFLOW;
  return {
    // id, username, password, is_active, is_superuser, create_at
    users: [
      [id(users.alice), 'alice', 'hash', bool(true), bool(false), '2024-01-01 00:00:00'],
      [id(users.bob), 'bob', 'hash', bool(true), bool(false), '2024-01-01 00:00:00'],
      [id(users.carol), 'carol', 'hash', bool(false), bool(false), '2024-01-01 00:00:00'],
    ],
    // id, name, data, user_id
    flows: [
      [id(flows.aliceChat), 'Chat', '{"nodes":[]}', id(users.alice)],
      [id(flows.aliceTools), 'Tools', null, id(users.alice)],
      [id(flows.bobChat), 'Bob chat', null, id(users.bob)],
      [id(flows.orphan), 'Orphan', null, null],
    ],
    // id, flow_id, timestamp, sender, sender_name, session_id, text, files, error, edit,
    // properties, category, content_blocks
    messages: [
      [
        id(message(1)),
        id(flows.aliceChat),
        '2024-06-01 12:30:45.123456',
        'User',
        'User',
        'chat 1',
        'Hello',
        '["a.png"]',
        bool(false),
        bool(false),
        '{"source":"web"}',
        'message',
        '[]',
      ],
      [
        id(message(2)),
        id(flows.aliceChat),
        '2024-06-01 12:30:46',
        'Machine',
        'AI',
        'chat 1',
        'Hi! 🚀',
        JSON.stringify('["b.png"]'),
        bool(false),
        bool(true),
        null,
        null,
        '[{"title":"t","contents":[]}]',
      ],
      [
        id(message(3)),
        id(flows.aliceTools),
        '2024-06-02 08:00:00.5',
        'User',
        'User',
        'tools',
        '',
        '[]',
        bool(true),
        bool(false),
        '{}',
        'message',
        null,
      ],
      [
        id(message(4)),
        id(flows.bobChat),
        '2024-06-03 09:00:00',
        'User',
        'User',
        'bob 1',
        'Bob here',
        '[]',
        bool(false),
        bool(false),
        '{}',
        'message',
        '[]',
      ],
      [
        id(message(5)),
        null,
        '2024-06-03 09:00:00',
        'User',
        'User',
        'no flow',
        'lost',
        '[]',
        bool(false),
        bool(false),
        '{}',
        'message',
        '[]',
      ],
      [
        id(message(6)),
        id(flows.orphan),
        '2024-06-03 09:00:00',
        'User',
        'User',
        'orphan',
        'lost',
        '[]',
        bool(false),
        bool(false),
        '{}',
        'message',
        '[]',
      ],
    ],
    // id, timestamp, vertex_id, target_id, inputs, outputs, status, error, flow_id
    transactions: [
      [
        id(message(11)),
        '2024-06-01 12:30:45',
        'OpenAIModel-1',
        'ChatOutput-1',
        '{"input_value":"Hello","api_key":"sk-proj-abcdefghijklmnop","code":"import os","max_tokens":5}',
        '{"text":"Hi"}',
        'success',
        null,
        id(flows.aliceChat),
      ],
      [
        id(message(12)),
        '2024-06-01 12:30:46',
        'OpenAIModel-1',
        null,
        null,
        null,
        'error',
        'invalid key',
        id(flows.aliceChat),
      ],
    ],
    // build_id, id, timestamp, data, artifacts, params, valid, flow_id
    builds: [
      [
        id(message(21)),
        'ChatInput-1',
        '2024-06-01 12:30:45',
        '{"results":{"message":"Hello"}}',
        '{"message":"Hello"}',
        'params',
        bool(true),
        id(flows.aliceChat),
      ],
      [
        id(message(22)),
        'ChatInput-1',
        '2024-06-01 12:30:50',
        null,
        null,
        null,
        bool(false),
        id(flows.aliceChat),
      ],
      [
        id(message(23)),
        'ChatOutput-1',
        '2024-06-01 12:30:47',
        '{"results":{}}',
        null,
        null,
        bool(true),
        id(flows.aliceChat),
      ],
    ],
  };
}

/** Langflow 1.11's message columns and the values the fixture gives them: message 1 has both. */
export const LANGFLOW_RUN_FIELDS = {
  duration: 1.5,
  /** As JSON text: an object literal would set a prototype, not a `__proto__` key. */
  sessionMetadata: '{"channel":"web","__proto__":null,"tags":["a",1]}',
};

/**
 * A Langflow SQLite file (as langflow.db), with the fixture's rows; removed with `remove()`. By
 * default an older Langflow's (before 1.11: no `duration` nor `session_metadata` on messages).
 */
export function buildSqliteLangflow(options: { runFields?: boolean } = {}): {
  file: string;
  remove: () => void;
} {
  const file = path.join(
    os.tmpdir(),
    'monitor-e2e',
    `langflow-${randomBytes(4).toString('hex')}.db`,
  );
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.exec(`
    CREATE TABLE "user" (id CHAR(32) NOT NULL PRIMARY KEY, username VARCHAR NOT NULL UNIQUE, password VARCHAR NOT NULL,
      profile_image VARCHAR, is_active BOOLEAN NOT NULL, is_superuser BOOLEAN NOT NULL, create_at DATETIME NOT NULL,
      updated_at DATETIME, last_login_at DATETIME);
    CREATE TABLE flow (id CHAR(32) NOT NULL PRIMARY KEY, name VARCHAR NOT NULL, description TEXT, data JSON,
      user_id CHAR(32) REFERENCES "user" (id), updated_at DATETIME, is_component BOOLEAN);
    CREATE TABLE message (id CHAR(32) NOT NULL PRIMARY KEY, flow_id CHAR(32), timestamp DATETIME NOT NULL,
      sender VARCHAR NOT NULL, sender_name VARCHAR NOT NULL, session_id VARCHAR NOT NULL, text TEXT, files JSON,
      error BOOLEAN NOT NULL, edit BOOLEAN NOT NULL, properties JSON, category TEXT, content_blocks JSON);
    CREATE TABLE "transaction" (id CHAR(32) NOT NULL PRIMARY KEY, timestamp DATETIME NOT NULL, vertex_id VARCHAR NOT NULL,
      target_id VARCHAR, inputs JSON, outputs JSON, status VARCHAR NOT NULL, error VARCHAR,
      flow_id CHAR(32) NOT NULL REFERENCES flow (id));
    CREATE TABLE vertex_build (timestamp DATETIME NOT NULL, id VARCHAR, data JSON, artifacts JSON, params TEXT,
      build_id CHAR(32) NOT NULL PRIMARY KEY, flow_id CHAR(32) NOT NULL REFERENCES flow (id), valid BOOLEAN NOT NULL);
  `);
  const data = rows(
    (hex) => hex,
    (b) => (b ? 1 : 0),
  );
  const insert = (sql: string, values: unknown[][]) => {
    const statement = db.prepare(sql);
    for (const row of values) {
      statement.run(...row);
    }
  };
  insert(
    'INSERT INTO "user" (id, username, password, is_active, is_superuser, create_at) VALUES (?, ?, ?, ?, ?, ?)',
    data.users,
  );
  insert('INSERT INTO flow (id, name, data, user_id) VALUES (?, ?, ?, ?)', data.flows);
  insert(
    'INSERT INTO message (id, flow_id, timestamp, sender, sender_name, session_id, text, files, error, edit, properties, category, content_blocks) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    data.messages,
  );
  insert(
    'INSERT INTO "transaction" (id, timestamp, vertex_id, target_id, inputs, outputs, status, error, flow_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    data.transactions,
  );
  insert(
    'INSERT INTO vertex_build (build_id, id, timestamp, data, artifacts, params, valid, flow_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    data.builds,
  );
  if (options.runFields) {
    db.exec(
      `ALTER TABLE message ADD COLUMN duration FLOAT; ALTER TABLE message ADD COLUMN session_metadata JSON;`,
    );
    db.prepare('UPDATE message SET duration = ?, session_metadata = ? WHERE id = ?').run(
      LANGFLOW_RUN_FIELDS.duration,
      LANGFLOW_RUN_FIELDS.sessionMetadata,
      message(1),
    );
  }
  db.close();
  return { file, remove: () => fs.rmSync(file, { force: true }) };
}

/**
 * A Langflow PostgreSQL database of the test's own (a newer Langflow: messages with context_id,
 * duration and session_metadata, builds with job_id), with the fixture's rows; dropped with
 * `remove()`.
 */
export async function buildPostgresLangflow(
  serverUrl: string,
): Promise<{ url: string; remove: () => Promise<void> }> {
  const name = `langflow_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  await client.query(`
    CREATE TABLE "user" (id UUID PRIMARY KEY, username VARCHAR NOT NULL UNIQUE, password VARCHAR NOT NULL,
      profile_image VARCHAR, is_active BOOLEAN NOT NULL, is_superuser BOOLEAN NOT NULL, create_at TIMESTAMP NOT NULL,
      updated_at TIMESTAMP, last_login_at TIMESTAMP);
    CREATE TABLE flow (id UUID PRIMARY KEY, name VARCHAR NOT NULL, description TEXT, data JSON,
      user_id UUID REFERENCES "user" (id), updated_at TIMESTAMP, is_component BOOLEAN);
    CREATE TABLE message (id UUID PRIMARY KEY, flow_id UUID, timestamp TIMESTAMP NOT NULL,
      sender VARCHAR NOT NULL, sender_name VARCHAR NOT NULL, session_id VARCHAR NOT NULL, text TEXT, files JSON,
      error BOOLEAN NOT NULL, edit BOOLEAN NOT NULL, properties JSON, category TEXT, content_blocks JSON,
      context_id VARCHAR, duration DOUBLE PRECISION, session_metadata JSON);
    CREATE TABLE "transaction" (id UUID PRIMARY KEY, timestamp TIMESTAMP NOT NULL, vertex_id VARCHAR NOT NULL,
      target_id VARCHAR, inputs JSON, outputs JSON, status VARCHAR NOT NULL, error VARCHAR,
      flow_id UUID NOT NULL REFERENCES flow (id));
    CREATE TABLE vertex_build (timestamp TIMESTAMP NOT NULL, id VARCHAR, data JSON, artifacts JSON, params TEXT,
      build_id UUID PRIMARY KEY, flow_id UUID NOT NULL REFERENCES flow (id), valid BOOLEAN NOT NULL, job_id UUID);
  `);
  const data = rows(hyphenated, (b) => b);
  const insert = async (sql: string, values: unknown[][]) => {
    for (const row of values) {
      await client.query(sql, row);
    }
  };
  await insert(
    'INSERT INTO "user" (id, username, password, is_active, is_superuser, create_at) VALUES ($1, $2, $3, $4, $5, $6)',
    data.users,
  );
  await insert('INSERT INTO flow (id, name, data, user_id) VALUES ($1, $2, $3, $4)', data.flows);
  await insert(
    'INSERT INTO message (id, flow_id, timestamp, sender, sender_name, session_id, text, files, error, edit, properties, category, content_blocks) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)',
    data.messages,
  );
  await client.query(
    `UPDATE message SET context_id = 'ctx-1', duration = $2, session_metadata = $3 WHERE id = $1`,
    [hyphenated(message(1)), LANGFLOW_RUN_FIELDS.duration, LANGFLOW_RUN_FIELDS.sessionMetadata],
  );
  await insert(
    'INSERT INTO "transaction" (id, timestamp, vertex_id, target_id, inputs, outputs, status, error, flow_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
    data.transactions,
  );
  await insert(
    'INSERT INTO vertex_build (build_id, id, timestamp, data, artifacts, params, valid, flow_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
    data.builds,
  );
  await client.query(`UPDATE vertex_build SET job_id = '99999999-9999-4999-8999-999999999999'`);
  await client.end();
  return {
    url: url.toString(),
    remove: async () => {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** The fixture's message ids, as this service writes them. */
export const fixtureMessageId = (n: number) => hyphenated(message(n));
