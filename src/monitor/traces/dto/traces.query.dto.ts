import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { Matches } from 'class-validator';
import {
  IntField,
  OneOf,
  Optional,
  StringField,
  TimestampField,
  UuidField,
} from '../../../common/validation/fields';
import { TRACE_STATUSES } from '../trace-values';

export const MAX_TRACE_PAGE_SIZE = 200;
export const DEFAULT_TRACE_PAGE_SIZE = 50;
/** Far past any real list, and well inside every driver's integer range. */
export const MAX_TRACE_PAGE = 1_000_000_000;
export const MAX_TRACE_QUERY_LENGTH = 50;

/** The filters of the trace list (Langflow's GET /monitor/traces); each narrows it. */
export class TracesQueryDto {
  /**
   * Only this flow's traces.
   * @example "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
   */
  @Optional()
  @UuidField()
  flow_id?: string;

  /**
   * Only this session's traces (empty: no filter).
   * @example "session-42"
   */
  @Optional()
  @StringField({ max: 255 })
  session_id?: string;

  /** @example "error" */
  @Optional()
  @OneOf(TRACE_STATUSES)
  status?: (typeof TRACE_STATUSES)[number];

  /**
   * Found in the name, the trace id or the session id, ignoring case; `%` and `_` are literal.
   * Printable ASCII, at most 50 characters once trimmed (empty: no filter).
   * @example "prompting"
   */
  @ApiPropertyOptional({ maxLength: MAX_TRACE_QUERY_LENGTH })
  @Optional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @StringField({ max: MAX_TRACE_QUERY_LENGTH })
  @Matches(/^[\x20-\x7e]*$/, { message: 'Value error, must hold printable ASCII only' })
  query?: string;

  /**
   * Only traces that started at or after this RFC 3339 time.
   * @example "2026-11-24T00:00:00Z"
   */
  @Optional()
  @TimestampField()
  start_time?: string;

  /**
   * Only traces that started at or before this RFC 3339 time.
   * @example "2026-11-25T00:00:00Z"
   */
  @Optional()
  @TimestampField()
  end_time?: string;

  /**
   * The page, from 1 (the newest traces); 0 means 1.
   * @example 1
   */
  @ApiPropertyOptional({ minimum: 0, maximum: MAX_TRACE_PAGE, type: 'integer', default: 1 })
  @Optional()
  @IntField({ min: 0, max: MAX_TRACE_PAGE })
  page?: number;

  /**
   * Traces a page, 1 to 200.
   * @example 50
   */
  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_TRACE_PAGE_SIZE,
    type: 'integer',
    default: DEFAULT_TRACE_PAGE_SIZE,
  })
  @Optional()
  @IntField({ min: 1, max: MAX_TRACE_PAGE_SIZE })
  size?: number;
}
