import {
  IntField,
  ObjectField,
  OneOf,
  Optional,
  OptionalNullable,
  Required,
  StringField,
  TimestampField,
  UuidField,
} from '../../../common/validation/fields';
import { MAX_STORED_INTEGER, SPAN_KINDS, SPAN_TYPES, TRACE_STATUSES } from '../trace-values';

/** One step of a trace to store, snake_case as stored. Unknown fields are refused. */
export class CreateSpanDto {
  /**
   * Unique among all spans. Default: a new time-ordered UUID (then no span can name it as parent).
   * @example "0193a1b2-c3d4-7e5f-8a6b-000000000002"
   */
  @Optional()
  @UuidField()
  id?: string;

  /**
   * The span it ran inside, one of the same trace's spans; null or left out for a root span.
   * @example "0193a1b2-c3d4-7e5f-8a6b-000000000001"
   */
  @OptionalNullable()
  @UuidField()
  parent_span_id?: string | null;

  /** @example "Chat Input" */
  @Required()
  @StringField({ min: 1, max: 1000 })
  name!: string;

  /**
   * Default: chain.
   * @example "chain"
   */
  @Optional()
  @OneOf(SPAN_TYPES)
  span_type?: (typeof SPAN_TYPES)[number];

  /**
   * Default: error when `error` is given, ok when the span ended, else unset.
   * @example "ok"
   */
  @Optional()
  @OneOf(TRACE_STATUSES)
  status?: (typeof TRACE_STATUSES)[number];

  /**
   * RFC 3339; stored in UTC with milliseconds.
   * @example "2026-11-24T13:09:00.100Z"
   */
  @Required()
  @TimestampField()
  start_time!: string;

  /**
   * RFC 3339, not before `start_time`; null or left out while it runs.
   * @example "2026-11-24T13:09:00.150Z"
   */
  @OptionalNullable()
  @TimestampField()
  end_time?: string | null;

  /**
   * Default: end_time - start_time, or 0 when it has not ended.
   * @example 50
   */
  @Optional()
  @IntField({ min: 0, max: MAX_STORED_INTEGER })
  latency_ms?: number;

  /**
   * What went in. Secrets are masked and `code` removed before storing.
   * @example {"input_value": "Hello"}
   */
  @OptionalNullable()
  @ObjectField()
  inputs?: Record<string, unknown> | null;

  /**
   * What came out, masked like `inputs`.
   * @example {"message": "Hello"}
   */
  @OptionalNullable()
  @ObjectField()
  outputs?: Record<string, unknown> | null;

  /**
   * Why it failed, or null.
   * @example null
   */
  @OptionalNullable()
  @StringField()
  error?: string | null;

  /**
   * OpenTelemetry's SpanKind. Default: INTERNAL.
   * @example "INTERNAL"
   */
  @Optional()
  @OneOf(SPAN_KINDS)
  span_kind?: (typeof SPAN_KINDS)[number];

  /**
   * OpenTelemetry attributes, masked like `inputs`. Token counts (`prompt_tokens`,
   * `completion_tokens`, `total_tokens`, or the GenAI and OpenInference names) and the model
   * (`model_name`, `gen_ai.request.model`, ...) are read from here. Default: {}.
   * @example {"model_name": "gpt-4o-mini", "prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42}
   */
  @OptionalNullable()
  @ObjectField()
  attributes?: Record<string, unknown> | null;
}
