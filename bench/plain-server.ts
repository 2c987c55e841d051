import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { hashApiKey, isApiKeyFormat } from '../src/auth/api-key-format';
import type { MessageRow } from '../src/monitor/message-row';

/**
 * The plain floor server: what the service's rename and `GET /health` cost with nothing but
 * node:http and the driver. No framework, no ORM, no validation layer, no streaming machinery.
 * It sends the service's own statements (copied as the service sends them; `bench/run.ts` checks
 * in its warm-up that the answers are byte for byte the service's) on a connection it keeps.
 *
 * Environment: PORT (0 for any free one), PLAIN_DATABASE_URL (`sqlite:FILE` or a PostgreSQL URL),
 * PLAIN_DATABASE_SCHEMA (PostgreSQL: the schema the service migrated). It is a benchmark
 * contender, not a service: it answers only what the bench asks, and reads a rename's rows whole.
 */

const RENAME_PREFIX = '/api/v1/monitor/messages/session/';
const NOT_FOUND = '{"detail":"No messages found with the given session ID"}';

/** The service's row type (only the type: the statements and the JSON here are this file's own). */
type Row = MessageRow;

/** The rename, on one database: the owner's id for a key hash, and the moved rows. */
interface RenameBackend {
  ownerOf(keyHash: string): Promise<string | undefined> | string | undefined;
  rename(ownerId: string, oldSessionId: string, newSessionId: string): Promise<Row[]> | Row[];
}

const quote = JSON.stringify;

/** MessageResponse JSON, the contract's field order; JSON columns are embedded as stored. */
function serialize(row: Row): string {
  return (
    `{"id":${quote(row.id)},"flow_id":${row.flow_id === null ? 'null' : quote(row.flow_id)}` +
    `,"timestamp":${quote(row.timestamp)},"sender":${quote(row.sender)}` +
    `,"sender_name":${quote(row.sender_name)},"session_id":${quote(row.session_id)}` +
    `,"context_id":${row.context_id === null ? 'null' : quote(row.context_id)}` +
    `,"text":${quote(row.text)},"files":${row.files},"edit":${row.edit ? 'true' : 'false'}` +
    `,"properties":${row.properties},"category":${quote(row.category)}` +
    `,"content_blocks":${row.content_blocks}` +
    `,"duration":${row.duration === null ? 'null' : quote(row.duration)}` +
    `,"session_metadata":${row.session_metadata ?? 'null'}}`
  );
}

/** The service's statements on SQLite; the tables' names as the service writes them. */
function sqliteBackend(file: string): RenameBackend {
  const db = new Database(file, { fileMustExist: true, timeout: 5000 });
  const lookup = db.prepare(
    'SELECT "k"."id" AS "key_id", "u"."id" AS "id", "u"."username" AS "username", ' +
      '"u"."is_superuser" AS "is_superuser" FROM "api_key" "k" INNER JOIN "user" "u" ' +
      'ON "u"."id" = "k"."user_id" WHERE "k"."key_hash" = ? AND "u"."is_active" = TRUE',
  );
  const begin = db.prepare('BEGIN TRANSACTION');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');
  const update = db.prepare(
    'UPDATE "message" SET "session_id" = ?, "rename_id" = ? WHERE "session_id" = ? AND "flow_id" IN ' +
      '(SELECT "owned_flow"."id" FROM "flow" "owned_flow" WHERE "owned_flow"."user_id" = ?)',
  );
  const reselect = db.prepare(
    'SELECT "m"."id" AS "id", "m"."flow_id" AS "flow_id", "m"."timestamp" AS "timestamp", ' +
      '"m"."sender" AS "sender", "m"."sender_name" AS "sender_name", "m"."session_id" AS "session_id", ' +
      '"m"."context_id" AS "context_id", "m"."text" AS "text", "m"."files" AS "files", "m"."edit" AS "edit", ' +
      '"m"."properties" AS "properties", "m"."category" AS "category", ' +
      '"m"."content_blocks" AS "content_blocks", "m"."duration" AS "duration", ' +
      '"m"."session_metadata" AS "session_metadata" FROM "message" "m" ' +
      'WHERE "m"."session_id" = ? AND "m"."rename_id" = ? ORDER BY "m"."timestamp" ASC, "m"."id" ASC',
  );
  return {
    ownerOf: (keyHash) => (lookup.get(keyHash) as { id: string } | undefined)?.id,
    rename: (ownerId, oldSessionId, newSessionId) => {
      const renameId = randomUUID();
      begin.run();
      let moved: number;
      try {
        moved = update.run(newSessionId, renameId, oldSessionId, ownerId).changes;
        commit.run();
      } catch (error) {
        rollback.run();
        throw error;
      }
      // better-sqlite3 is synchronous: no other request runs between the COMMIT and this read,
      // so the writer's own connection reads exactly the committed rows.
      return moved === 0 ? [] : (reselect.all(newSessionId, renameId) as Row[]);
    },
  };
}

/** The service's statements on PostgreSQL: the key lookup, then one data-modifying WITH. */
function postgresBackend(url: string, schema: string | undefined): RenameBackend {
  const pool = new Pool({
    connectionString: url,
    max: 10,
    application_name: 'monitor-bench-plain',
    ...(schema ? { options: `-c search_path="${schema}"` } : {}),
  });
  const table = (name: string) => (schema ? `"${schema}"."${name}"` : `"${name}"`);
  const lookup =
    'SELECT "k"."id" AS "key_id", "u"."id" AS "id", "u"."username" AS "username", ' +
    `"u"."is_superuser" AS "is_superuser" FROM ${table('api_key')} "k" INNER JOIN ${table('user')} "u" ` +
    'ON "u"."id" = "k"."user_id" WHERE "k"."key_hash" = $1 AND "u"."is_active" = TRUE';
  const columns =
    '"id", "flow_id", "timestamp", "sender", "sender_name", "session_id", "context_id", "text", "files", ' +
    '"edit", "properties", "category", "content_blocks", "duration", "session_metadata"';
  const rename =
    `WITH "moved" AS (UPDATE ${table('message')} SET "session_id" = $1, "rename_id" = $2 ` +
    'WHERE "session_id" = $3 AND "flow_id" IN ' +
    '(SELECT "owned_flow"."id" FROM "flow" "owned_flow" WHERE "owned_flow"."user_id" = $4) ' +
    `RETURNING ${columns}) SELECT ${columns} FROM "moved" ORDER BY "timestamp" ASC, "id" ASC`;
  return {
    ownerOf: async (keyHash) =>
      (await pool.query<{ id: string }>(lookup, [keyHash])).rows[0]?.id ?? undefined,
    rename: async (ownerId, oldSessionId, newSessionId) =>
      (await pool.query<Row>(rename, [newSessionId, randomUUID(), oldSessionId, ownerId])).rows,
  };
}

function send(
  response: http.ServerResponse,
  status: number,
  body: string,
  type = 'application/json; charset=utf-8',
): void {
  response.writeHead(status, { 'Content-Type': type });
  response.end(body);
}

async function handleRename(
  backend: RenameBackend,
  request: http.IncomingMessage,
  response: http.ServerResponse,
  url: string,
): Promise<void> {
  const key = request.headers['x-api-key'];
  if (typeof key !== 'string' || !isApiKeyFormat(key)) {
    send(response, 403, '{"detail":"Invalid or missing API key"}');
    return;
  }
  const owner = await backend.ownerOf(hashApiKey(key));
  if (owner === undefined) {
    send(response, 403, '{"detail":"Invalid or missing API key"}');
    return;
  }
  const queryAt = url.indexOf('?');
  const oldSessionId = decodeURIComponent(
    url.slice(RENAME_PREFIX.length, queryAt < 0 ? undefined : queryAt),
  );
  const newSessionId = new URLSearchParams(queryAt < 0 ? '' : url.slice(queryAt + 1)).get(
    'new_session_id',
  );
  if (!oldSessionId || !newSessionId) {
    send(response, 422, '{"detail":"new_session_id missing"}');
    return;
  }
  const rows = await backend.rename(owner, oldSessionId, newSessionId);
  if (rows.length === 0) {
    send(response, 404, NOT_FOUND);
    return;
  }
  // The service answers a rename without charset, streamed (chunked): so does this one.
  response.writeHead(200, { 'Content-Type': 'application/json' });
  let chunk = `[${serialize(rows[0])}`;
  for (let index = 1; index < rows.length; index += 1) {
    chunk += `,${serialize(rows[index])}`;
    if (chunk.length >= 65536) {
      // Waits for the socket as the service does: a million messages written without waiting
      // would queue some 650 MB in the socket, and the kernel refuses that write (ENOBUFS).
      if (!response.write(chunk) && !(await drained(response))) {
        return;
      }
      chunk = '';
    }
  }
  response.end(`${chunk}]`);
}

/** Resolves true once the answer may be written again, false if its connection closed first. */
function drained(response: http.ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const settle = (writable: boolean) => {
      response.off('drain', onDrain);
      response.off('close', onClose);
      resolve(writable);
    };
    const onDrain = () => settle(true);
    const onClose = () => settle(false);
    response.on('drain', onDrain);
    response.on('close', onClose);
  });
}

function main(): void {
  const url = process.env.PLAIN_DATABASE_URL ?? '';
  const backend = url.startsWith('sqlite:')
    ? sqliteBackend(url.slice('sqlite:'.length))
    : postgresBackend(url, process.env.PLAIN_DATABASE_SCHEMA || undefined);
  const server = http.createServer((request, response) => {
    const target = request.url ?? '/';
    if (request.method === 'GET' && target === '/health') {
      send(response, 200, '{"status":"ok"}');
    } else if (request.method === 'PATCH' && target.startsWith(RENAME_PREFIX)) {
      handleRename(backend, request, response, target).catch((error: Error) => {
        process.stderr.write(`rename failed: ${error.stack ?? error.message}\n`);
        if (!response.headersSent) {
          send(response, 500, '{"detail":"Internal Server Error"}');
        } else {
          response.destroy(error);
        }
      });
    } else {
      send(response, 404, '{"detail":"Not Found"}');
    }
  });
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
    process.stdout.write(`listening on ${(server.address() as AddressInfo).port}\n`);
  });
  // Nothing to flush: SQLite commits each rename, and PostgreSQL drops the pool's connections.
  process.once('SIGTERM', () => process.exit(0));
}

main();
