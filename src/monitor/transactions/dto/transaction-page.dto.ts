import { ApiProperty } from '@nestjs/swagger';
import { TransactionResponseDto } from './transaction-response.dto';

/** One page of a flow's transactions, newest first (Langflow's Page shape). */
export class TransactionPageDto {
  @ApiProperty({ type: [TransactionResponseDto] })
  items!: TransactionResponseDto[];

  /**
   * All of the flow's transactions.
   * @example 120
   */
  @ApiProperty()
  total!: number;

  /** @example 1 */
  @ApiProperty()
  page!: number;

  /** @example 50 */
  @ApiProperty()
  size!: number;

  /**
   * ceil(total / size); 0 when there are none.
   * @example 3
   */
  @ApiProperty()
  pages!: number;
}
