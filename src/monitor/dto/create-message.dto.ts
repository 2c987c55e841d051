import {
  BooleanField,
  FiniteNumberField,
  ObjectField,
  ObjectListField,
  Optional,
  OptionalNullable,
  Required,
  SessionIdField,
  StringField,
  StringListField,
  TimestampField,
  UuidField,
} from '../../common/validation/fields';

/** One message to store. Unknown fields are refused. */
export class CreateMessageDto {
  /**
   * The flow the message belongs to. A flow id never seen before becomes the caller's flow.
   * @example "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
   */
  @Required()
  @UuidField()
  flow_id!: string;

  /**
   * 1 to 255 characters, no control characters.
   * @example "support-chat-42"
   */
  @Required()
  @SessionIdField()
  session_id!: string;

  /**
   * Langflow's conversation context: up to 255 characters, or null (the default).
   * @example "ctx-7f3a"
   */
  @OptionalNullable()
  @StringField({ max: 255 })
  context_id?: string | null;

  /** @example "User" */
  @Required()
  @StringField({ min: 1, max: 255 })
  sender!: string;

  /** @example "User" */
  @Required()
  @StringField({ min: 1, max: 255 })
  sender_name!: string;

  /**
   * May be empty.
   * @example "Hello, can you help me reset my password?"
   */
  @Required()
  @StringField()
  text!: string;

  /** @example [] */
  @Optional()
  @StringListField()
  files?: string[];

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
   * Langflow's run duration, stored as given (any finite number), or null (the default).
   * @example 1.25
   */
  @OptionalNullable()
  @FiniteNumberField()
  duration?: number | null;

  /**
   * Langflow's session metadata: any JSON object, stored and returned as given, or null (the
   * default).
   * @example {"channel": "web"}
   */
  @OptionalNullable()
  @ObjectField()
  session_metadata?: Record<string, unknown> | null;

  /**
   * RFC 3339; stored in UTC with milliseconds. Default: now.
   * @example "2026-11-24T13:09:00.123Z"
   */
  @Optional()
  @TimestampField()
  timestamp?: string;

  /**
   * Default: a new time-ordered UUID.
   * @example "0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"
   */
  @Optional()
  @UuidField()
  id?: string;

  /** @example false */
  @Optional()
  @BooleanField()
  edit?: boolean;

  /** @example false */
  @Optional()
  @BooleanField()
  error?: boolean;
}
