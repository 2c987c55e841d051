import { ApiPropertyOptional } from '@nestjs/swagger';
import { IntField, Optional, StringField } from '../../common/validation/fields';
import { MessageFiltersQueryDto } from './message-filters.query.dto';

export const MAX_PAGE_SIZE = 1000;

/** The page size of an `offset` window without `limit` (Langflow's). */
export const DEFAULT_WINDOW_SIZE = 100;

/** Far past any real history, and well inside every driver's integer range. */
export const MAX_OFFSET = 1_000_000_000;

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

  /**
   * Langflow's chat-history paging: the window of `limit` messages (default 100) that ends this
   * many messages before the newest, listed oldest first, or newest first with `order=desc`. `0`
   * is the newest page; raise it by `limit` to scroll up. Not with `cursor`, nor with an
   * `order_by` other than `timestamp`.
   * @example 0
   */
  @ApiPropertyOptional({ minimum: 0, maximum: MAX_OFFSET, type: 'integer' })
  @Optional()
  @IntField({ min: 0, max: MAX_OFFSET })
  offset?: number;
}
