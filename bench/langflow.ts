import { DataSource, Logger } from 'typeorm';
import { Message } from '../src/monitor/message.entity';
import { DatabaseEndpoint } from './database';

/**
 * Langflow's `update_session_id` (src/backend/base/langflow/api/v1/monitor.py), re-implemented
 * step for step in this stack with TypeORM on the same database:
 *
 *     messages = select(MessageTable).where(session_id == old)     -- 1 SELECT
 *     for message in messages: message.session_id = new             -- in memory
 *     session.add_all(messages); session.commit()                   -- N UPDATEs, one transaction
 *     for message in messages: session.refresh(message)             -- N SELECTs, one per row
 *     return [MessageResponse.model_validate(m) for m in messages]
 *
 * SQLAlchemy's unit of work flushes each dirty row as `UPDATE message SET session_id=? WHERE
 * id=?`; TypeORM's `save()` would first re-load every entity to diff it (3N+1 statements), which
 * would make Langflow look slower than it is, so each save is the UPDATE by primary key that
 * SQLAlchemy sends. That gives 2N+1 statements, counted by `countStatements`.
 */
export class LangflowRename {
  private constructor(private readonly dataSource: DataSource) {}

  static async open(database: DatabaseEndpoint, logger?: Logger): Promise<LangflowRename> {
    const options = database.dataSourceOptions(logger);
    const dataSource = await new DataSource({
      ...options,
      // The service owns the schema; this contender only reads and writes rows.
      migrations: [],
      migrationsRun: false,
    }).initialize();
    return new LangflowRename(dataSource);
  }

  /** Renames the session and returns the response body Langflow would send. */
  async rename(oldSessionId: string, newSessionId: string): Promise<string> {
    const messages = await this.dataSource.transaction(async (manager) => {
      const found = await manager.find(Message, { where: { sessionId: oldSessionId } });
      if (found.length === 0) {
        throw new Error('No messages found with the given session ID');
      }
      for (const message of found) {
        message.sessionId = newSessionId;
        await manager.update(Message, { id: message.id }, { sessionId: message.sessionId });
      }
      return found;
    });
    const responses: unknown[] = [];
    for (const message of messages) {
      const fresh = await this.dataSource.manager.findOneByOrFail(Message, { id: message.id });
      responses.push(toResponse(fresh));
    }
    return JSON.stringify(responses);
  }

  async close(): Promise<void> {
    await this.dataSource.destroy();
  }
}

/** Langflow's MessageResponse: the JSON columns parsed back into values. */
function toResponse(message: Message): Record<string, unknown> {
  return {
    id: message.id,
    flow_id: message.flowId,
    timestamp: message.timestamp,
    sender: message.sender,
    sender_name: message.senderName,
    session_id: message.sessionId,
    context_id: message.contextId,
    text: message.text,
    files: JSON.parse(message.files),
    edit: message.edit,
    properties: JSON.parse(message.properties),
    category: message.category,
    content_blocks: JSON.parse(message.contentBlocks),
    duration: message.duration,
    session_metadata: message.sessionMetadata === null ? null : JSON.parse(message.sessionMetadata),
  };
}

/** A TypeORM logger that counts data statements (not BEGIN/COMMIT), to check the 2N+1. */
export class StatementCounter implements Logger {
  count = 0;

  logQuery(query: string): void {
    if (!/^\s*(BEGIN|COMMIT|ROLLBACK|START TRANSACTION)/i.test(query)) {
      this.count += 1;
    }
  }

  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}
