import { ApiProperty } from '@nestjs/swagger';

/*
 * Every field carries @ApiProperty: Swagger lists decorated properties before the plugin's, so
 * decorating only some would scramble the contract's field order in /openapi.json and in Swagger
 * UI's example. Descriptions and examples still come from the doc comments.
 */

/** A stored message, as every route returns it. */
export class MessageResponseDto {
  /** @example "0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b" */
  @ApiProperty({ type: String, format: 'uuid' })
  id!: string;

  /**
   * The flow the message belongs to.
   * @example "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
   */
  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  flow_id!: string | null;

  /**
   * RFC 3339 in UTC with milliseconds.
   * @example "2026-11-24T13:09:00.123Z"
   */
  @ApiProperty({ type: String, format: 'date-time' })
  timestamp!: string;

  /**
   * Who sent it, e.g. `User` or `Machine`.
   * @example "User"
   */
  @ApiProperty()
  sender!: string;

  /**
   * The sender's display name, e.g. `User` or `AI`.
   * @example "User"
   */
  @ApiProperty()
  sender_name!: string;

  /** @example "support-chat-42-archived" */
  @ApiProperty()
  session_id!: string;

  /**
   * Langflow's conversation context, or null.
   * @example "ctx-7f3a"
   */
  @ApiProperty({ type: String, nullable: true })
  context_id!: string | null;

  /**
   * May be empty.
   * @example "Hello, can you help me reset my password?"
   */
  @ApiProperty()
  text!: string;

  /** @example [] */
  @ApiProperty({ type: [String] })
  files!: string[];

  /** @example false */
  @ApiProperty()
  edit!: boolean;

  /**
   * Stored and returned as given.
   * @example {"source": "web"}
   */
  @ApiProperty({ type: 'object', additionalProperties: true })
  properties!: Record<string, unknown>;

  /** @example "message" */
  @ApiProperty()
  category!: string;

  /**
   * Stored and returned as given.
   * @example []
   */
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } })
  content_blocks!: Record<string, unknown>[];

  /**
   * Langflow's run duration, as given, or null.
   * @example 1.25
   */
  @ApiProperty({ type: Number, nullable: true })
  duration!: number | null;

  /**
   * Langflow's session metadata, stored and returned as given, or null.
   * @example {"channel": "web"}
   */
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  session_metadata!: Record<string, unknown> | null;
}
