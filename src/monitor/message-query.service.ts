import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { RowStreamer } from '../database/row-streamer';
import {
  DEFAULT_WINDOW_SIZE,
  ListMessagesQueryDto,
  MAX_PAGE_SIZE,
} from './dto/list-messages.query.dto';
import { MessageFiltersQueryDto } from './dto/message-filters.query.dto';
import { MessageNotFoundError } from './errors/message-not-found.error';
import { RequestValidationError } from '../common/validation/request-validation.error';
import { decodeCursor, encodeCursor, MessageCursor, sortKeys } from './message-cursor';
import { messageEtag } from './message-etag';
import { afterKeys, MESSAGE_ALIAS, orderByKeys, selectOwnedMessages } from './message-query';
import { MessageRow } from './message-row';
import { serializeMessage, serializeMessages } from './message.serializer';

/** One page of messages as JSON, and the cursor of the next page if there is one. */
export interface MessagePage {
  items: string[];
  nextCursor?: string;
}

/** One message as JSON, with its entity tag. */
export interface TaggedMessage {
  json: string;
  etag: string;
}

/** Reads the caller's messages: whole lists and exports streamed, pages bounded. */
@Injectable()
export class MessageQueryService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly rows: RowStreamer,
  ) {}

  /** Every matching message, streamed as JSON in the requested order (Langflow's GET). */
  list(ownerId: string, query: MessageFiltersQueryDto): AsyncIterable<string> {
    const orderBy = query.order_by ?? 'timestamp';
    const builder = orderByKeys(
      selectOwnedMessages(this.dataSource, ownerId, query),
      sortKeys(orderBy),
      query.order === 'desc' ? 'DESC' : 'ASC',
    );
    const [sql, parameters] = builder.getQueryAndParameters();
    return serializeMessages(this.rows.stream(sql, parameters));
  }

  /**
   * One page after the cursor's position (or from the start), by keyset: a page costs the same
   * however deep it is, and messages inserted meanwhile never shift a page's position.
   */
  async page(ownerId: string, query: ListMessagesQueryDto): Promise<MessagePage> {
    const orderBy = query.order_by ?? 'timestamp';
    const order = query.order ?? 'asc';
    const cursor: MessageCursor | undefined =
      query.cursor === undefined ? undefined : decodeCursor(query.cursor, { orderBy, order });
    const limit = query.limit ?? cursor?.limit ?? MAX_PAGE_SIZE;
    const keys = sortKeys(orderBy);
    const direction = order === 'desc' ? 'DESC' : 'ASC';
    const builder = orderByKeys(
      selectOwnedMessages(this.dataSource, ownerId, query),
      keys,
      direction,
    );
    if (cursor) {
      afterKeys(builder, keys, direction, cursor.after);
    }
    // One row more than asked tells whether another page follows.
    const [sql, parameters] = builder.limit(limit + 1).getQueryAndParameters();
    const rows: MessageRow[] = [];
    for await (const row of this.rows.stream(sql, parameters)) {
      rows.push(row as unknown as MessageRow);
    }
    const items = rows.slice(0, limit);
    if (rows.length <= limit) {
      return { items: items.map(serializeMessage) };
    }
    const last = items[items.length - 1] as unknown as Record<string, string>;
    const nextCursor = encodeCursor({
      orderBy,
      order,
      limit,
      after: keys.map((key) => String(last[key])),
    });
    return { items: items.map(serializeMessage), nextCursor };
  }

  /**
   * Langflow's `offset` paging: the `limit` messages that end `offset` messages before the newest,
   * listed in chronological order, or newest first with `order=desc` (Langflow 1.12: the order
   * never moves the window). Read newest first through the (flow, timestamp, id) index, so a
   * window near the newest, where a chat view spends its time, is cheap whatever the history's
   * length.
   */
  async window(ownerId: string, query: ListMessagesQueryDto): Promise<string[]> {
    this.refuseWindowMix(query);
    const builder = orderByKeys(
      selectOwnedMessages(this.dataSource, ownerId, query),
      sortKeys('timestamp'),
      'DESC',
    )
      .limit(query.limit ?? DEFAULT_WINDOW_SIZE)
      .offset(query.offset);
    const [sql, parameters] = builder.getQueryAndParameters();
    const items: string[] = [];
    for await (const row of this.rows.stream(sql, parameters)) {
      items.push(serializeMessage(row as unknown as MessageRow));
    }
    return query.order === 'desc' ? items : items.reverse();
  }

  /** An offset walks back in time: it cannot follow a cursor or another sort column. */
  private refuseWindowMix(query: ListMessagesQueryDto): void {
    const why =
      query.cursor !== undefined
        ? 'offset and cursor cannot be combined'
        : (query.order_by ?? 'timestamp') !== 'timestamp'
          ? 'offset windows walk back in time: order_by cannot be changed with it'
          : undefined;
    if (why) {
      throw new RequestValidationError([
        {
          type: 'value_error',
          loc: ['query', 'offset'],
          msg: `Value error, ${why}`,
          input: query.offset,
        },
      ]);
    }
  }

  /** One of the caller's messages by id, with its entity tag. */
  async findOne(ownerId: string, messageId: string): Promise<TaggedMessage> {
    const [sql, parameters] = selectOwnedMessages(this.dataSource, ownerId, {})
      .addSelect(`${MESSAGE_ALIAS}.error`, 'error')
      .andWhere(`${MESSAGE_ALIAS}.id = :messageId`, { messageId })
      .getQueryAndParameters();
    for await (const row of this.rows.stream(sql, parameters)) {
      const json = serializeMessage(row as unknown as MessageRow);
      return { json, etag: messageEtag(json, Boolean(row.error)) };
    }
    throw new MessageNotFoundError();
  }
}
