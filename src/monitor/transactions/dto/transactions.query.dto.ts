import { ApiPropertyOptional } from '@nestjs/swagger';
import { IntField, Optional, Required, UuidField } from '../../../common/validation/fields';

export const MAX_TRANSACTION_PAGE_SIZE = 100;
export const DEFAULT_TRANSACTION_PAGE_SIZE = 50;

/** Far past any real log, and well inside every driver's integer range. */
export const MAX_TRANSACTION_PAGE = 1_000_000_000;

export class TransactionsQueryDto {
  /**
   * The flow whose transactions to read (a UUID).
   * @example "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
   */
  @Required()
  @UuidField()
  flow_id!: string;

  /**
   * The page, from 1 (the newest transactions).
   * @example 1
   */
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_TRANSACTION_PAGE, type: 'integer', default: 1 })
  @Optional()
  @IntField({ min: 1, max: MAX_TRANSACTION_PAGE })
  page?: number;

  /**
   * Transactions a page, 1 to 100.
   * @example 50
   */
  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_TRANSACTION_PAGE_SIZE,
    type: 'integer',
    default: DEFAULT_TRANSACTION_PAGE_SIZE,
  })
  @Optional()
  @IntField({ min: 1, max: MAX_TRANSACTION_PAGE_SIZE })
  size?: number;
}
