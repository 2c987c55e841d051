import { uuidV7 } from '../common/ids/uuid-v7';
import { CreateMessageDto } from './dto/create-message.dto';
import { Message } from './message.entity';

/** The entity a validated message body is stored as (ingest and import alike). */
export function messageEntityOf(item: CreateMessageDto, now: string): Message {
  return Object.assign(new Message(), {
    id: item.id ?? uuidV7(),
    flowId: item.flow_id,
    timestamp: item.timestamp ?? now,
    sender: item.sender,
    senderName: item.sender_name,
    sessionId: item.session_id,
    contextId: item.context_id ?? null,
    text: item.text,
    files: JSON.stringify(item.files ?? []),
    edit: item.edit ?? false,
    error: item.error ?? false,
    properties: JSON.stringify(item.properties ?? {}),
    category: item.category ?? 'message',
    contentBlocks: JSON.stringify(item.content_blocks ?? []),
    duration: item.duration ?? null,
    sessionMetadata: item.session_metadata ? JSON.stringify(item.session_metadata) : null,
    renameId: null,
  });
}
