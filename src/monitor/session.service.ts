import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { RowStreamer } from '../database/row-streamer';
import { TransactionRunner } from '../database/transaction-runner';
import { SessionNotFoundError } from './errors/session-not-found.error';
import { OWNED_FLOW_IDS, selectMessageRow } from './message-row';
import { Message } from './message.entity';
import { serializeMessages } from './message.serializer';

@Injectable()
export class SessionService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
    private readonly rows: RowStreamer,
  ) {}

  /**
   * Moves every message the owner has in `oldSessionId` to `newSessionId` (merging into it if it
   * already has messages) and returns the moved messages as JSON, ordered by timestamp then id.
   *
   * One bulk UPDATE in one transaction moves them all or none; it stamps the moved rows with this
   * rename's id, and the re-select reads exactly those rows back through a cursor. The statement
   * count is the same for one message or a million, no id list is ever sent to the database, and
   * the answer is streamed rather than built whole.
   */
  async rename(
    ownerId: string,
    oldSessionId: string,
    newSessionId: string,
  ): Promise<AsyncIterable<string>> {
    const renameId = randomUUID();
    const moved = await this.transactions.run(async (manager) => {
      const result = await manager
        .createQueryBuilder()
        .update(Message)
        .set({ sessionId: newSessionId, renameId })
        .where('session_id = :oldSessionId', { oldSessionId })
        .andWhere(`flow_id IN ${OWNED_FLOW_IDS}`, { ownerId })
        .execute();
      return result.affected ?? 0;
    });
    if (moved === 0) {
      throw new SessionNotFoundError();
    }
    const [sql, parameters] = selectMessageRow(
      this.dataSource.createQueryBuilder(Message, 'm'),
      'm',
    )
      .where('m.sessionId = :newSessionId', { newSessionId })
      .andWhere('m.renameId = :renameId', { renameId })
      .orderBy('m.timestamp', 'ASC')
      .addOrderBy('m.id', 'ASC')
      .getQueryAndParameters();
    return serializeMessages(this.rows.stream(sql, parameters));
  }
}
