import { MessageRow } from './message-row';

const text = JSON.stringify;

/**
 * One message as MessageResponse JSON, fields in the contract's order. The JSON columns are
 * stored as the service itself serialized them, so they are embedded as they are instead of
 * being parsed and printed again: a large answer costs one string build per row.
 */
export function serializeMessage(row: MessageRow): string {
  return (
    `{"id":${text(row.id)}` +
    `,"flow_id":${row.flow_id === null ? 'null' : text(row.flow_id)}` +
    `,"timestamp":${text(row.timestamp)}` +
    `,"sender":${text(row.sender)}` +
    `,"sender_name":${text(row.sender_name)}` +
    `,"session_id":${text(row.session_id)}` +
    `,"context_id":${row.context_id === null ? 'null' : text(row.context_id)}` +
    `,"text":${text(row.text)}` +
    `,"files":${row.files}` +
    `,"edit":${row.edit ? 'true' : 'false'}` +
    `,"properties":${row.properties}` +
    `,"category":${text(row.category)}` +
    `,"content_blocks":${row.content_blocks}` +
    `,"duration":${row.duration === null ? 'null' : text(row.duration)}` +
    `,"session_metadata":${row.session_metadata ?? 'null'}}`
  );
}

/** Serializes rows as they come; `onEnd`, if given, learns how many there were once all are read. */
export async function* serializeMessages(
  rows: AsyncIterable<unknown> | Iterable<unknown>,
  onEnd?: (count: number) => void,
): AsyncIterable<string> {
  let count = 0;
  for await (const row of rows) {
    count += 1;
    yield serializeMessage(row as MessageRow);
  }
  onEnd?.(count);
}
