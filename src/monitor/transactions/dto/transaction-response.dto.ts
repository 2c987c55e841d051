import { ApiProperty } from '@nestjs/swagger';

/* Every field carries @ApiProperty so that the document keeps the wire order (see MessageResponseDto). */

/** A stored component run (Langflow 1.8's TransactionLogsResponse, plus `error` and `flow_id`). */
export class TransactionResponseDto {
  /** @example "0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b" */
  @ApiProperty({ type: String, format: 'uuid' })
  id!: string;

  /**
   * RFC 3339 in UTC with milliseconds.
   * @example "2026-11-24T13:09:00.123Z"
   */
  @ApiProperty({ type: String, format: 'date-time' })
  timestamp!: string;

  /** @example "OpenAIModel-2kd9x" */
  @ApiProperty()
  vertex_id!: string;

  /** @example "ChatOutput-u9cPC" */
  @ApiProperty({ type: String, nullable: true })
  target_id!: string | null;

  /**
   * Secrets masked, `code` removed.
   * @example {"input_value": "Hello", "api_key": "sk-p...mnop"}
   */
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  inputs!: Record<string, unknown> | null;

  /** @example {"text_output": "Hi! How can I help?"} */
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  outputs!: Record<string, unknown> | null;

  /** @example "success" */
  @ApiProperty({ enum: ['success', 'error'] })
  status!: string;

  /** @example "Error building Component OpenAIModel: invalid key" */
  @ApiProperty({ type: String, nullable: true })
  error!: string | null;

  /** @example "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d" */
  @ApiProperty({ type: String, format: 'uuid' })
  flow_id!: string;
}
