import { ApiProperty } from '@nestjs/swagger';

/** A span's token counts; a count its attributes do not give is 0. */
export class TokenUsageDto {
  /** @example 12 */
  @ApiProperty()
  promptTokens!: number;

  /** @example 30 */
  @ApiProperty()
  completionTokens!: number;

  /** @example 42 */
  @ApiProperty()
  totalTokens!: number;
}
