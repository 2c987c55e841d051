import { ApiProperty } from '@nestjs/swagger';
import { SPAN_TYPES, TRACE_STATUSES } from '../trace-values';

/* Every field carries @ApiProperty so that the document keeps the wire order. */

/** A span of a trace's tree (Langflow's SpanReadResponse), its children nested. */
export class SpanResponseDto {
  /** @example "0193a1b2-c3d4-7e5f-8a6b-000000000002" */
  @ApiProperty({ type: String, format: 'uuid' })
  id!: string;

  /** @example "OpenAI gpt-4o-mini" */
  @ApiProperty()
  name!: string;

  /** @example "llm" */
  @ApiProperty({ enum: SPAN_TYPES })
  type!: string;

  /** @example "ok" */
  @ApiProperty({ enum: TRACE_STATUSES })
  status!: string;

  /** @example "2026-11-24T13:09:00.200Z" */
  @ApiProperty({ type: String, format: 'date-time' })
  startTime!: string;

  /** @example "2026-11-24T13:09:01.100Z" */
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  endTime!: string | null;

  /** @example 900 */
  @ApiProperty()
  latencyMs!: number;

  /**
   * Secrets masked, `code` removed.
   * @example {"input_value": "Hello"}
   */
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  inputs!: Record<string, unknown> | null;

  /** @example {"text": "Hi! How can I help?"} */
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  outputs!: Record<string, unknown> | null;

  /**
   * Why the span failed, or null.
   * @example null
   */
  @ApiProperty({ type: String, nullable: true })
  error!: string | null;

  /** @example "gpt-4o-mini" */
  @ApiProperty({ type: String, nullable: true })
  modelName!: string | null;

  /**
   * The span's token counts (a count its attributes do not give is 0); null when they give none.
   * Described inline: a nullable reference is not valid OpenAPI 3.0.
   */
  @ApiProperty({
    type: 'object',
    nullable: true,
    required: ['promptTokens', 'completionTokens', 'totalTokens'],
    properties: {
      promptTokens: { type: 'integer', example: 12 },
      completionTokens: { type: 'integer', example: 30 },
      totalTokens: { type: 'integer', example: 42 },
    },
  })
  tokenUsage!: { promptTokens: number; completionTokens: number; totalTokens: number } | null;

  /** The spans that ran inside this one, by start time. */
  @ApiProperty({ type: () => [SpanResponseDto] })
  children!: SpanResponseDto[];
}
