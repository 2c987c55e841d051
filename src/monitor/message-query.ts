import { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import { MessageFiltersQueryDto, MessageOrderColumn } from './dto/message-filters.query.dto';
import { MESSAGE_ROW_PROPERTIES, ownedFlowIds, selectMessageRow } from './message-row';
import { Message } from './message.entity';

export const MESSAGE_ALIAS = 'm';

/** The caller's messages matching Langflow's filters (combined with AND), as MessageRow columns. */
export function selectOwnedMessages(
  source: DataSource | EntityManager,
  ownerId: string,
  filters: Pick<MessageFiltersQueryDto, 'flow_id' | 'session_id' | 'sender' | 'sender_name'>,
): SelectQueryBuilder<Message> {
  const m = MESSAGE_ALIAS;
  const builder = selectMessageRow(source.createQueryBuilder(Message, m), m).where(
    `${m}.flowId IN ${ownedFlowIds(source)}`,
    { ownerId },
  );
  if (filters.flow_id !== undefined) {
    builder.andWhere(`${m}.flowId = :flowId`, { flowId: filters.flow_id });
  }
  if (filters.session_id !== undefined) {
    builder.andWhere(`${m}.sessionId = :sessionId`, { sessionId: filters.session_id });
  }
  if (filters.sender !== undefined) {
    builder.andWhere(`${m}.sender = :sender`, { sender: filters.sender });
  }
  if (filters.sender_name !== undefined) {
    builder.andWhere(`${m}.senderName = :senderName`, { senderName: filters.sender_name });
  }
  return builder;
}

/** Orders by the keys, all in one direction. */
export function orderByKeys(
  builder: SelectQueryBuilder<Message>,
  keys: MessageOrderColumn[],
  direction: 'ASC' | 'DESC',
): SelectQueryBuilder<Message> {
  keys.forEach((key, index) => {
    const column = `${MESSAGE_ALIAS}.${MESSAGE_ROW_PROPERTIES[key]}`;
    if (index === 0) {
      builder.orderBy(column, direction);
    } else {
      builder.addOrderBy(column, direction);
    }
  });
  return builder;
}

/**
 * Keeps the rows strictly after `after` in the keys' order: one row-value comparison, which
 * SQLite and PostgreSQL both evaluate against the sort index.
 */
export function afterKeys(
  builder: SelectQueryBuilder<Message>,
  keys: MessageOrderColumn[],
  direction: 'ASC' | 'DESC',
  after: string[],
): SelectQueryBuilder<Message> {
  const columns = keys.map((key) => `${MESSAGE_ALIAS}.${MESSAGE_ROW_PROPERTIES[key]}`).join(', ');
  const names = keys.map((_, index) => `:cursorKey${index}`).join(', ');
  const parameters = Object.fromEntries(after.map((value, index) => [`cursorKey${index}`, value]));
  return builder.andWhere(`(${columns}) ${direction === 'ASC' ? '>' : '<'} (${names})`, parameters);
}
