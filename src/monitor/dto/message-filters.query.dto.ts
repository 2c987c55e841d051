import { Transform } from 'class-transformer';
import {
  OneOf,
  Optional,
  SessionIdField,
  StringField,
  UuidField,
} from '../../common/validation/fields';

export const MESSAGE_ORDER_COLUMNS = [
  'timestamp',
  'id',
  'sender',
  'sender_name',
  'session_id',
  'category',
  'flow_id',
] as const;

export type MessageOrderColumn = (typeof MESSAGE_ORDER_COLUMNS)[number];

export const SORT_ORDERS = ['asc', 'desc'] as const;

export type SortOrder = (typeof SORT_ORDERS)[number];

/** Langflow's filters and ordering; all optional, filters combined with AND. */
export class MessageFiltersQueryDto {
  /**
   * Only messages of this flow (a UUID).
   * @example "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
   */
  @Optional()
  @UuidField()
  flow_id?: string;

  /**
   * Only messages of this session (1 to 255 characters). In a query string `+` means a space.
   * @example "support-chat-42"
   */
  @Optional()
  @SessionIdField()
  session_id?: string;

  /**
   * Only messages with this sender, e.g. `User` or `Machine`.
   * @example "User"
   */
  @Optional()
  @StringField({ max: 255 })
  sender?: string;

  /**
   * Only messages with this sender name, e.g. `User` or `AI`.
   * @example "AI"
   */
  @Optional()
  @StringField({ max: 255 })
  sender_name?: string;

  /**
   * Column to sort by; ties are broken by timestamp, then id.
   * @example "timestamp"
   */
  @Optional()
  @OneOf(MESSAGE_ORDER_COLUMNS)
  order_by?: MessageOrderColumn;

  /**
   * Sort direction, for every sort key, in any letter case (Langflow 1.12+ sends `DESC`); default
   * `asc`, Langflow's order. On Get Messages, with `offset` it only orders the window (`desc`:
   * newest first); with `cursor` it is the direction the pages walk in (`desc`: from the newest
   * back).
   * @example "desc"
   */
  @Optional()
  // Lowered only when that makes it valid, so a 422 echoes the value as it was sent.
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && (SORT_ORDERS as readonly string[]).includes(value.toLowerCase())
      ? value.toLowerCase()
      : value,
  )
  @OneOf(SORT_ORDERS)
  order?: SortOrder;
}
