import {
  IntField,
  ListSize,
  ObjectListField,
  OneOf,
  Optional,
  OptionalNullable,
  Required,
  SessionIdField,
  StringField,
  TimestampField,
  UuidField,
} from '../../../common/validation/fields';
import { MAX_SPANS_PER_TRACE, MAX_STORED_INTEGER, TRACE_STATUSES } from '../trace-values';
import { CreateSpanDto } from './create-span.dto';

/**
 * One run of a flow to store, with its spans as a flat list (`parent_span_id` links them).
 * Unknown fields are refused. What is left out is computed from the spans.
 */
export class CreateTraceDto {
  /**
   * Default: a new time-ordered UUID.
   * @example "0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"
   */
  @Optional()
  @UuidField()
  id?: string;

  /**
   * The flow that ran. A flow id never seen before becomes the caller's flow.
   * @example "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
   */
  @Required()
  @UuidField()
  flow_id!: string;

  /** @example "Basic Prompting - 9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d" */
  @Required()
  @StringField({ min: 1, max: 1000 })
  name!: string;

  /**
   * Default: error when a span failed, ok when every span is ok, else unset.
   * @example "ok"
   */
  @Optional()
  @OneOf(TRACE_STATUSES)
  status?: (typeof TRACE_STATUSES)[number];

  /**
   * RFC 3339. Default: the earliest span's start, or now.
   * @example "2026-11-24T13:09:00.000Z"
   */
  @Optional()
  @TimestampField()
  start_time?: string;

  /**
   * RFC 3339, not before `start_time`. Default: the latest end of its spans (null when none ended).
   * @example "2026-11-24T13:09:01.200Z"
   */
  @OptionalNullable()
  @TimestampField()
  end_time?: string | null;

  /**
   * Default: end_time - start_time, or 0 without an end.
   * @example 1200
   */
  @Optional()
  @IntField({ min: 0, max: MAX_STORED_INTEGER })
  total_latency_ms?: number;

  /**
   * Default: the sum of the leaf spans' tokens.
   * @example 42
   */
  @Optional()
  @IntField({ min: 0, max: MAX_STORED_INTEGER })
  total_tokens?: number;

  /**
   * The chat session the run belongs to, or null.
   * @example "session-42"
   */
  @OptionalNullable()
  @SessionIdField()
  session_id?: string | null;

  /** 0 to 1000 spans (5000 in all in one request), nested at most 64 deep. Default: none. */
  @Optional()
  @ObjectListField()
  @ListSize(0, MAX_SPANS_PER_TRACE)
  spans?: CreateSpanDto[];
}
