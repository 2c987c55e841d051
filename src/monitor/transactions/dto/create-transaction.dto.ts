import {
  ObjectField,
  OneOf,
  Optional,
  OptionalNullable,
  Required,
  StringField,
  TimestampField,
  UuidField,
} from '../../../common/validation/fields';

export const TRANSACTION_STATUSES = ['success', 'error'] as const;

/** One component run to store. Unknown fields are refused; secrets are masked before storing. */
export class CreateTransactionDto {
  /**
   * The flow the run belongs to. A flow id never seen before becomes the caller's flow.
   * @example "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
   */
  @Required()
  @UuidField()
  flow_id!: string;

  /**
   * The component that ran.
   * @example "OpenAIModel-2kd9x"
   */
  @Required()
  @StringField({ min: 1, max: 255 })
  vertex_id!: string;

  /** @example "success" */
  @Required()
  @OneOf(TRANSACTION_STATUSES)
  status!: (typeof TRANSACTION_STATUSES)[number];

  /**
   * The component its output went to, or null.
   * @example "ChatOutput-u9cPC"
   */
  @OptionalNullable()
  @StringField({ max: 255 })
  target_id?: string | null;

  /**
   * What went in. Secrets are masked and `code` removed before storing.
   * @example {"input_value": "Hello", "api_key": "sk-proj-abcdefghijklmnop"}
   */
  @OptionalNullable()
  @ObjectField()
  inputs?: Record<string, unknown> | null;

  /**
   * What came out, masked like `inputs`.
   * @example {"text_output": "Hi! How can I help?"}
   */
  @OptionalNullable()
  @ObjectField()
  outputs?: Record<string, unknown> | null;

  /**
   * Why the component failed, or null.
   * @example null
   */
  @OptionalNullable()
  @StringField()
  error?: string | null;

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
}
