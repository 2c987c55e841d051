import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuthenticatedUser } from '../auth/authenticated-user';
import { uuidV7 } from '../common/ids/uuid-v7';
import { nowIso } from '../common/time';
import { RequestValidationError } from '../common/validation/request-validation.error';
import { isUniqueViolation } from '../database/database-errors';
import { RowStreamer } from '../database/row-streamer';
import { TransactionRunner } from '../database/transaction-runner';
import { CreateMessageDto } from './dto/create-message.dto';
import { ListMessagesQueryDto, MessageOrderColumn } from './dto/list-messages.query.dto';
import { FlowNotFoundError } from './errors/flow-not-found.error';
import { MessageAlreadyExistsError } from './errors/message-already-exists.error';
import { Flow } from './flow.entity';
import { MessageRow, OWNED_FLOW_IDS, selectMessageRow } from './message-row';
import { Message } from './message.entity';
import { serializeMessage, serializeMessages } from './message.serializer';

/** Rows per INSERT: 14 columns x 200 rows stays far below every driver's parameter limit. */
const INSERT_CHUNK_ROWS = 200;

const ORDER_PROPERTIES: Record<MessageOrderColumn, string> = {
  timestamp: 'timestamp',
  id: 'id',
  sender: 'sender',
  sender_name: 'senderName',
  session_id: 'sessionId',
  category: 'category',
  flow_id: 'flowId',
};

@Injectable()
export class MessageService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
    private readonly rows: RowStreamer,
  ) {}

  /**
   * Stores a batch of messages for the caller, all or nothing, and returns them as JSON in the
   * input's order. Unseen flows become the caller's; someone else's flow is a 404.
   */
  async ingest(owner: AuthenticatedUser, items: CreateMessageDto[]): Promise<string[]> {
    const now = nowIso();
    const messages = items.map((item) => this.toEntity(item, now));
    this.refuseRepeatedIds(items);
    try {
      await this.transactions.run(async (manager) => {
        await this.claimFlows(
          manager,
          owner.id,
          [...new Set(items.map((item) => item.flow_id))],
          now,
        );
        await this.refuseExistingIds(
          manager,
          items.flatMap((item) => (item.id ? [item.id] : [])),
        );
        for (let start = 0; start < messages.length; start += INSERT_CHUNK_ROWS) {
          await manager
            .createQueryBuilder()
            .insert()
            .into(Message)
            .values(messages.slice(start, start + INSERT_CHUNK_ROWS))
            .updateEntity(false)
            .execute();
        }
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        // A concurrent request stored one of these ids between our check and our insert.
        await this.refuseExistingIds(
          this.dataSource.manager,
          messages.map((message) => message.id),
        );
      }
      throw error;
    }
    return messages.map((message) => serializeMessage(this.toRow(message)));
  }

  /** The caller's messages matching the filters, streamed as JSON, in the requested order. */
  list(owner: AuthenticatedUser, query: ListMessagesQueryDto): AsyncIterable<string> {
    const builder = selectMessageRow(this.dataSource.createQueryBuilder(Message, 'm'), 'm').where(
      `m.flowId IN ${OWNED_FLOW_IDS}`,
      { ownerId: owner.id },
    );
    if (query.flow_id !== undefined) {
      builder.andWhere('m.flowId = :flowId', { flowId: query.flow_id });
    }
    if (query.session_id !== undefined) {
      builder.andWhere('m.sessionId = :sessionId', { sessionId: query.session_id });
    }
    if (query.sender !== undefined) {
      builder.andWhere('m.sender = :sender', { sender: query.sender });
    }
    if (query.sender_name !== undefined) {
      builder.andWhere('m.senderName = :senderName', { senderName: query.sender_name });
    }
    const order = query.order_by ?? 'timestamp';
    builder.orderBy(`m.${ORDER_PROPERTIES[order]}`, 'ASC');
    if (order !== 'timestamp' && order !== 'id') {
      builder.addOrderBy('m.timestamp', 'ASC');
    }
    if (order !== 'id') {
      builder.addOrderBy('m.id', 'ASC');
    }
    const [sql, parameters] = builder.getQueryAndParameters();
    return serializeMessages(this.rows.stream(sql, parameters));
  }

  private refuseRepeatedIds(items: CreateMessageDto[]): void {
    const seen = new Set<string>();
    items.forEach((item, index) => {
      if (!item.id) {
        return;
      }
      if (seen.has(item.id)) {
        throw new RequestValidationError([
          {
            type: 'value_error',
            loc: ['body', index, 'id'],
            msg: 'Value error, the same id appears twice in this batch',
            input: item.id,
          },
        ]);
      }
      seen.add(item.id);
    });
  }

  /** Makes unseen flows the caller's, and refuses the batch if any flow is someone else's. */
  private async claimFlows(
    manager: EntityManager,
    ownerId: string,
    flowIds: string[],
    now: string,
  ): Promise<void> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(Flow)
      .values(flowIds.map((id) => ({ id, userId: ownerId, createdAt: now })))
      .orIgnore()
      .updateEntity(false)
      .execute();
    const foreign = await manager
      .createQueryBuilder(Flow, 'f')
      .where('f.id IN (:...flowIds)', { flowIds })
      .andWhere('f.userId <> :ownerId', { ownerId })
      .getExists();
    if (foreign) {
      throw new FlowNotFoundError();
    }
  }

  private async refuseExistingIds(manager: EntityManager, ids: string[]): Promise<void> {
    for (let start = 0; start < ids.length; start += 500) {
      const existing = await manager
        .createQueryBuilder(Message, 'm')
        .select('m.id', 'id')
        .where('m.id IN (:...ids)', { ids: ids.slice(start, start + 500) })
        .orderBy('m.id')
        .getRawOne<{ id: string }>();
      if (existing) {
        throw new MessageAlreadyExistsError(existing.id);
      }
    }
  }

  private toEntity(item: CreateMessageDto, now: string): Message {
    return Object.assign(new Message(), {
      id: item.id ?? uuidV7(),
      flowId: item.flow_id,
      timestamp: item.timestamp ?? now,
      sender: item.sender,
      senderName: item.sender_name,
      sessionId: item.session_id,
      text: item.text,
      files: JSON.stringify(item.files ?? []),
      edit: item.edit ?? false,
      error: item.error ?? false,
      properties: JSON.stringify(item.properties ?? {}),
      category: item.category ?? 'message',
      contentBlocks: JSON.stringify(item.content_blocks ?? []),
      renameId: null,
    });
  }

  private toRow(message: Message): MessageRow {
    return {
      id: message.id,
      flow_id: message.flowId,
      timestamp: message.timestamp,
      sender: message.sender,
      sender_name: message.senderName,
      session_id: message.sessionId,
      text: message.text,
      files: message.files,
      edit: message.edit,
      properties: message.properties,
      category: message.category,
      content_blocks: message.contentBlocks,
    };
  }
}
