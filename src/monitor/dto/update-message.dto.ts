import {
  BooleanField,
  FiniteNumberField,
  ObjectField,
  ObjectListField,
  Optional,
  OptionalNullable,
  SessionIdField,
  StringField,
  StringListField,
} from '../../common/validation/fields';

/** The fields of a message that can change; every one is optional, unknown fields are refused. */
export class UpdateMessageDto {
  /**
   * The new text; when it differs from the current one, `edit` becomes true (unless this body sets
   * `edit` itself).
   * @example "Hello, can you help me reset my password? (edited)"
   */
  @Optional()
  @StringField()
  text?: string;

  /** @example "User" */
  @Optional()
  @StringField({ min: 1, max: 255 })
  sender?: string;

  /** @example "User" */
  @Optional()
  @StringField({ min: 1, max: 255 })
  sender_name?: string;

  /**
   * Moves this one message to another session (1 to 255 characters, no control characters).
   * @example "support-chat-42"
   */
  @Optional()
  @SessionIdField()
  session_id?: string;

  /**
   * Sets Langflow's conversation context (up to 255 characters), or clears it with null.
   * @example "ctx-7f3a"
   */
  @OptionalNullable()
  @StringField({ max: 255 })
  context_id?: string | null;

  /** @example [] */
  @Optional()
  @StringListField()
  files?: string[];

  /** @example true */
  @Optional()
  @BooleanField()
  edit?: boolean;

  /** @example false */
  @Optional()
  @BooleanField()
  error?: boolean;

  /** @example {"source": "web"} */
  @Optional()
  @ObjectField()
  properties?: Record<string, unknown>;

  /** @example "message" */
  @Optional()
  @StringField({ min: 1, max: 255 })
  category?: string;

  /** @example [] */
  @Optional()
  @ObjectListField()
  content_blocks?: Record<string, unknown>[];

  /**
   * Sets Langflow's run duration (any finite number, stored as given), or clears it with null.
   * @example 1.25
   */
  @OptionalNullable()
  @FiniteNumberField()
  duration?: number | null;

  /**
   * Replaces Langflow's session metadata (any JSON object), or clears it with null.
   * @example {"channel": "web"}
   */
  @OptionalNullable()
  @ObjectField()
  session_metadata?: Record<string, unknown> | null;
}
