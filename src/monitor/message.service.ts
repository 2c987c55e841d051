import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuthenticatedUser } from '../auth/authenticated-user';
import { nowIso } from '../common/time';
import { DatabaseDialect } from '../database/dialect/database-dialect';
import { TransactionRunner } from '../database/transaction-runner';
import { ServiceMetrics } from '../metrics/service-metrics';
import { CreateMessageDto } from './dto/create-message.dto';
import { MessageAlreadyExistsError } from './errors/message-already-exists.error';
import { BatchWriter } from './batch-writer.service';
import { refuseRepeatedIds } from './repeated-ids';
import { UpdateMessageDto } from './dto/update-message.dto';
import { MessageNotFoundError } from './errors/message-not-found.error';
import { PreconditionFailedError } from './errors/precondition-failed.error';
import { ifMatchAllows, messageEtag } from './message-etag';
import { MESSAGE_ALIAS, selectOwnedMessages } from './message-query';
import { TaggedMessage } from './message-query.service';
import {
  MESSAGE_ROW_COLUMNS,
  MESSAGE_ROW_PROPERTIES,
  MessageRow,
  ownedFlowIds,
} from './message-row';
import { messageEntityOf } from './message-entity.mapper';
import { Message } from './message.entity';
import { serializeMessage } from './message.serializer';

/** Rows per INSERT: 16 columns x 200 rows stays far below every driver's parameter limit. */
const INSERT_CHUNK_ROWS = 200;

@Injectable()
export class MessageService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
    private readonly dialect: DatabaseDialect,
    private readonly metrics: ServiceMetrics,
    private readonly writer: BatchWriter,
  ) {}

  /**
   * Stores a batch of messages for the caller, all or nothing, and returns them as JSON in the
   * input's order. Unseen flows become the caller's; someone else's flow is a 404.
   */
  async ingest(owner: AuthenticatedUser, items: CreateMessageDto[]): Promise<string[]> {
    const now = nowIso();
    const messages = items.map((item) => messageEntityOf(item, now));
    refuseRepeatedIds(items, 'id');
    await this.writer.write(owner.id, now, {
      entity: Message,
      rows: messages,
      idProperty: 'id',
      flowIdOf: (message) => message.flowId as string,
      givenIds: items.flatMap((item) => (item.id ? [item.id] : [])),
      alreadyExists: (id) => new MessageAlreadyExistsError(id),
      rowsPerInsert: INSERT_CHUNK_ROWS,
    });
    this.metrics.recordIngest(messages.length);
    return messages.map((message) => serializeMessage(this.toRow(message)));
  }

  /**
   * Changes some fields of one of the caller's messages and returns it with its new tag. With
   * `ifMatch`, the change goes ahead only if the message is still as the caller last read it; the
   * read, the comparison and the write are one transaction holding the row.
   */
  async update(
    ownerId: string,
    messageId: string,
    changes: UpdateMessageDto,
    ifMatch?: string,
  ): Promise<TaggedMessage> {
    return this.transactions.run(async (manager) => {
      const builder = this.dialect.lockingRows(
        selectOwnedMessages(manager, ownerId, {})
          .addSelect(`${MESSAGE_ALIAS}.error`, 'error')
          .andWhere(`${MESSAGE_ALIAS}.id = :messageId`, { messageId }),
      );
      const current = await builder.getRawOne<MessageRow & { error: boolean | number }>();
      if (!current) {
        throw new MessageNotFoundError();
      }
      const currentJson = serializeMessage(current);
      const currentEtag = messageEtag(currentJson, Boolean(current.error));
      if (ifMatch !== undefined && !ifMatchAllows(ifMatch, currentEtag)) {
        throw new PreconditionFailedError();
      }
      const set = this.columnsToSet(current, changes);
      if (Object.keys(set).length === 0) {
        return { json: currentJson, etag: currentEtag };
      }
      await manager
        .createQueryBuilder()
        .update(Message)
        .set(set)
        .where('id = :messageId', { messageId })
        .execute();
      const json = serializeMessage({ ...current, ...this.toRowFields(set) });
      return { json, etag: messageEtag(json, set.error ?? Boolean(current.error)) };
    });
  }

  /** Deletes those of the ids that are the caller's messages; the others are ignored. */
  async deleteMany(ownerId: string, messageIds: string[]): Promise<void> {
    await this.transactions.run((manager) =>
      manager
        .createQueryBuilder()
        .delete()
        .from(Message)
        .where('id IN (:...messageIds)', { messageIds })
        .andWhere(`flow_id IN ${ownedFlowIds(this.dataSource)}`, { ownerId })
        .execute(),
    );
  }

  /** The columns an update changes; `edit` turns true when the text really changes. */
  private columnsToSet(current: MessageRow, changes: UpdateMessageDto): Partial<Message> {
    const set: Partial<Message> = {};
    if (changes.text !== undefined) {
      set.text = changes.text;
    }
    if (changes.sender !== undefined) {
      set.sender = changes.sender;
    }
    if (changes.sender_name !== undefined) {
      set.senderName = changes.sender_name;
    }
    if (changes.session_id !== undefined) {
      set.sessionId = changes.session_id;
    }
    if (changes.context_id !== undefined) {
      set.contextId = changes.context_id;
    }
    if (changes.files !== undefined) {
      set.files = JSON.stringify(changes.files);
    }
    if (changes.error !== undefined) {
      set.error = changes.error;
    }
    if (changes.properties !== undefined) {
      set.properties = JSON.stringify(changes.properties);
    }
    if (changes.category !== undefined) {
      set.category = changes.category;
    }
    if (changes.content_blocks !== undefined) {
      set.contentBlocks = JSON.stringify(changes.content_blocks);
    }
    if (changes.duration !== undefined) {
      set.duration = changes.duration;
    }
    if (changes.session_metadata !== undefined) {
      set.sessionMetadata =
        changes.session_metadata === null ? null : JSON.stringify(changes.session_metadata);
    }
    if (changes.edit !== undefined) {
      set.edit = changes.edit;
    } else if (changes.text !== undefined && changes.text !== current.text) {
      set.edit = true;
    }
    return set;
  }

  /** The response columns among the changed ones. */
  private toRowFields(set: Partial<Message>): Partial<MessageRow> {
    return Object.fromEntries(
      MESSAGE_ROW_COLUMNS.flatMap((column) => {
        const value = set[MESSAGE_ROW_PROPERTIES[column]];
        return value === undefined ? [] : [[column, value]];
      }),
    );
  }

  private toRow(message: Message): MessageRow {
    return Object.fromEntries(
      MESSAGE_ROW_COLUMNS.map((column) => [column, message[MESSAGE_ROW_PROPERTIES[column]]]),
    ) as unknown as MessageRow;
  }
}
