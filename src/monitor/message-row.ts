import { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import { Flow } from './flow.entity';
import { Message } from './message.entity';

/**
 * A message as read from the database, columns named as in the API. Drivers differ only in
 * booleans (SQLite gives 0/1), which the serializer reads either way.
 */
export interface MessageRow {
  id: string;
  flow_id: string | null;
  timestamp: string;
  sender: string;
  sender_name: string;
  session_id: string;
  context_id: string | null;
  text: string;
  files: string;
  edit: boolean | number;
  properties: string;
  category: string;
  content_blocks: string;
  duration: number | null;
  session_metadata: string | null;
}

/**
 * The response's columns, in the contract's order, each with the entity property it comes from.
 * Their database names are the API's. The one place that pairs the two namings.
 */
export const MESSAGE_ROW_PROPERTIES = {
  id: 'id',
  flow_id: 'flowId',
  timestamp: 'timestamp',
  sender: 'sender',
  sender_name: 'senderName',
  session_id: 'sessionId',
  context_id: 'contextId',
  text: 'text',
  files: 'files',
  edit: 'edit',
  properties: 'properties',
  category: 'category',
  content_blocks: 'contentBlocks',
  duration: 'duration',
  session_metadata: 'sessionMetadata',
} as const satisfies Record<keyof MessageRow, keyof Message>;

export type MessageColumn = keyof typeof MESSAGE_ROW_PROPERTIES;

export const MESSAGE_ROW_COLUMNS = Object.keys(MESSAGE_ROW_PROPERTIES) as MessageColumn[];

/** The response's columns, selected under their API names. */
export function selectMessageRow(
  builder: SelectQueryBuilder<Message>,
  alias: string,
): SelectQueryBuilder<Message> {
  const [first, ...rest] = MESSAGE_ROW_COLUMNS;
  builder.select(`${alias}.${MESSAGE_ROW_PROPERTIES[first]}`, first);
  for (const column of rest) {
    builder.addSelect(`${alias}.${MESSAGE_ROW_PROPERTIES[column]}`, column);
  }
  return builder;
}

/**
 * The ids of the caller's flows, as a subquery: every read and write of messages is scoped by it.
 * Expects the parameter `:ownerId`. Built by TypeORM, so the table is schema-qualified when
 * DATABASE_SCHEMA is set (no statement relies on a session's search_path).
 */
export function ownedFlowIds(source: DataSource | EntityManager): string {
  return source
    .createQueryBuilder()
    .subQuery()
    .select('owned_flow.id')
    .from(Flow, 'owned_flow')
    .where('owned_flow.userId = :ownerId')
    .getQuery();
}
