/** The contract's MessageResponse fields, in the order the contract gives them. */
export const MESSAGE_FIELDS = [
  'id',
  'flow_id',
  'timestamp',
  'sender',
  'sender_name',
  'session_id',
  'context_id',
  'text',
  'files',
  'edit',
  'properties',
  'category',
  'content_blocks',
  'duration',
  'session_metadata',
];
