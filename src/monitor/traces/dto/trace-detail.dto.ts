import { ApiProperty } from '@nestjs/swagger';
import { TRACE_STATUSES } from '../trace-values';
import { SpanResponseDto } from './span-response.dto';

/* Every field carries @ApiProperty so that the document keeps the wire order. */

/** A trace with its span tree (Langflow's TraceRead). */
export class TraceDetailDto {
  /** @example "0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b" */
  @ApiProperty({ type: String, format: 'uuid' })
  id!: string;

  /** @example "Basic Prompting - 9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d" */
  @ApiProperty()
  name!: string;

  /** @example "ok" */
  @ApiProperty({ enum: TRACE_STATUSES })
  status!: string;

  /** @example "2026-11-24T13:09:00.000Z" */
  @ApiProperty({ type: String, format: 'date-time' })
  startTime!: string;

  /** @example "2026-11-24T13:09:01.200Z" */
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  endTime!: string | null;

  /**
   * End minus start, in milliseconds.
   * @example 1200
   */
  @ApiProperty()
  totalLatencyMs!: number;

  /**
   * The tokens of the leaf spans (those with no child), so nested calls count once; the trace's
   * stored total when they give none.
   * @example 42
   */
  @ApiProperty()
  totalTokens!: number;

  /** @example "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d" */
  @ApiProperty({ type: String, format: 'uuid' })
  flowId!: string;

  /**
   * The session, or the trace's own id when it has none.
   * @example "session-42"
   */
  @ApiProperty()
  sessionId!: string;

  /**
   * `{"input_value": ...}` from the first span whose name contains "Chat Input", or null.
   * @example {"input_value": "Hello"}
   */
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  input!: Record<string, unknown> | null;

  /**
   * The outputs of the root span that ended last, or null.
   * @example {"message": "Hi! How can I help?"}
   */
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  output!: Record<string, unknown> | null;

  /** The root spans by start time, each with its children nested. */
  @ApiProperty({ type: [SpanResponseDto] })
  spans!: SpanResponseDto[];
}
