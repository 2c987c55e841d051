import {
  BooleanField,
  ObjectField,
  Optional,
  OptionalNullable,
  Required,
  StringField,
  TimestampField,
  UuidField,
} from '../../../common/validation/fields';

/** One build of one vertex to store. Unknown fields are refused. */
export class CreateVertexBuildDto {
  /**
   * The vertex (component) id; not unique: every build of the vertex carries it.
   * @example "ChatInput-NCmix"
   */
  @Required()
  @StringField({ min: 1, max: 255 })
  id!: string;

  /**
   * The flow the build belongs to. A flow id never seen before becomes the caller's flow.
   * @example "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
   */
  @Required()
  @UuidField()
  flow_id!: string;

  /**
   * False when the build failed.
   * @example true
   */
  @Required()
  @BooleanField()
  valid!: boolean;

  /**
   * Default: a new time-ordered UUID.
   * @example "0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"
   */
  @Optional()
  @UuidField()
  build_id?: string;

  /**
   * The run that produced the build, or null.
   * @example "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f"
   */
  @OptionalNullable()
  @UuidField()
  job_id?: string | null;

  /**
   * RFC 3339; stored in UTC with milliseconds. Default: now.
   * @example "2026-11-24T13:09:00.123Z"
   */
  @Optional()
  @TimestampField()
  timestamp?: string;

  /** @example {"results": {"message": "Hello"}} */
  @OptionalNullable()
  @ObjectField()
  data?: Record<string, unknown> | null;

  /** @example {"message": "Hello"} */
  @OptionalNullable()
  @ObjectField()
  artifacts?: Record<string, unknown> | null;

  /** @example "{'input_value': 'Hello'}" */
  @OptionalNullable()
  @StringField()
  params?: string | null;
}
