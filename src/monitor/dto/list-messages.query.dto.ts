import { ApiPropertyOptional } from '@nestjs/swagger';
import { IntField, Optional, StringField } from '../../common/validation/fields';
import { MessageFiltersQueryDto } from './message-filters.query.dto';

export const MAX_PAGE_SIZE = 1000;

/**
 * Room for the longest cursor the service makes: a 255-character sort value that JSON escapes to
 * six bytes a character (control characters), plus a timestamp and an id, in base64url.
 */
export const MAX_CURSOR_LENGTH = 4096;

/**
 * Langflow's filters, plus keyset pagination (an extension). Without `limit` and `cursor` the whole
 * list comes back, as in Langflow.
 */
export class ListMessagesQueryDto extends MessageFiltersQueryDto {
  /**
   * Page size, 1 to 1000. The answer is still a bare array; when more messages follow, the next
   * page's cursor comes in the `X-Next-Cursor` header and its address in `Link: <...>; rel="next"`.
   * @example 100
   */
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, type: 'integer' })
  @Optional()
  @IntField({ min: 1, max: MAX_PAGE_SIZE })
  limit?: number;

  /**
   * The opaque cursor from the previous page's `X-Next-Cursor` header, with the same `order_by`
   * and `order`. Without `limit`, the page size the cursor was made with.
   */
  @Optional()
  @StringField({ min: 1, max: MAX_CURSOR_LENGTH })
  cursor?: string;
}
