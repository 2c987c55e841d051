import { SelectQueryBuilder } from 'typeorm';
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
  text: string;
  files: string;
  edit: boolean | number;
  properties: string;
  category: string;
  content_blocks: string;
}

/** The response's columns, in the contract's order; their database names are the API's. */
export const MESSAGE_ROW_COLUMNS = [
  'id',
  'flow_id',
  'timestamp',
  'sender',
  'sender_name',
  'session_id',
  'text',
  'files',
  'edit',
  'properties',
  'category',
  'content_blocks',
] as const;

/** The response's columns, selected under their API names. */
export function selectMessageRow(
  builder: SelectQueryBuilder<Message>,
  alias: string,
): SelectQueryBuilder<Message> {
  return builder
    .select(`${alias}.id`, 'id')
    .addSelect(`${alias}.flowId`, 'flow_id')
    .addSelect(`${alias}.timestamp`, 'timestamp')
    .addSelect(`${alias}.sender`, 'sender')
    .addSelect(`${alias}.senderName`, 'sender_name')
    .addSelect(`${alias}.sessionId`, 'session_id')
    .addSelect(`${alias}.text`, 'text')
    .addSelect(`${alias}.files`, 'files')
    .addSelect(`${alias}.edit`, 'edit')
    .addSelect(`${alias}.properties`, 'properties')
    .addSelect(`${alias}.category`, 'category')
    .addSelect(`${alias}.contentBlocks`, 'content_blocks');
}

/**
 * The ids of the caller's flows, as a subquery: every read and write of messages is scoped by it.
 * Expects the parameter `:ownerId`.
 */
export const OWNED_FLOW_IDS = `(SELECT "owned_flow"."id" FROM "flow" "owned_flow" WHERE "owned_flow"."user_id" = :ownerId)`;
