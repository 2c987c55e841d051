import { ApiProperty } from '@nestjs/swagger';

/* Every field carries @ApiProperty so that the document keeps the wire order (see MessageResponseDto). */

/** A stored vertex build, as the builds routes return it. */
export class VertexBuildResponseDto {
  /** @example "0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b" */
  @ApiProperty({ type: String, format: 'uuid' })
  build_id!: string;

  /**
   * The vertex id.
   * @example "ChatInput-NCmix"
   */
  @ApiProperty()
  id!: string;

  /** @example "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d" */
  @ApiProperty({ type: String, format: 'uuid' })
  flow_id!: string;

  /** @example "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f" */
  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  job_id!: string | null;

  /**
   * RFC 3339 in UTC with milliseconds.
   * @example "2026-11-24T13:09:00.123Z"
   */
  @ApiProperty({ type: String, format: 'date-time' })
  timestamp!: string;

  /** @example {"results": {"message": "Hello"}} */
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  data!: Record<string, unknown> | null;

  /** @example {"message": "Hello"} */
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  artifacts!: Record<string, unknown> | null;

  /** @example "{'input_value': 'Hello'}" */
  @ApiProperty({ type: String, nullable: true })
  params!: string | null;

  /** @example true */
  @ApiProperty()
  valid!: boolean;
}
