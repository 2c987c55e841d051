import {
  Inject,
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  Req,
  Res,
  StreamableFile,
} from '@nestjs/common';
import { Request, Response } from 'express';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { AppConfig } from '../config/app.config';
import { APP_CONFIG } from '../config/app-config.token';
import { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/current-user.decorator';
import {
  jsonArrayResponse,
  jsonTextResponse,
  ndjsonResponse,
} from '../common/http/json-array-stream';
import { nextPageLink } from '../common/http/next-page-link';
import {
  ApiErrors,
  BODY_TOO_LARGE_ERROR,
  issueExample,
  malformedUuidExample,
  emptyListExample,
  unknownFieldExample,
} from '../common/openapi/api-errors.decorator';
import { ListBodyPipe } from '../common/validation/list-body.pipe';
import { uuidItem, ValueListBodyPipe } from '../common/validation/value-list-body.pipe';
import { CreateMessageDto } from './dto/create-message.dto';
import { ListMessagesQueryDto } from './dto/list-messages.query.dto';
import { MessageResponseDto } from './dto/message-response.dto';
import { MessageFiltersQueryDto } from './dto/message-filters.query.dto';
import { MessagePathParamsDto } from './dto/message-path.params.dto';
import { UpdateMessageDto } from './dto/update-message.dto';
import { MessageService } from './message.service';
import { MessageQueryService } from './message-query.service';

export const MAX_INGEST_BATCH = 1000;
export const MAX_DELETE_BATCH = 1000;

@ApiTags('Monitor')
@ApiSecurity('api_key')
@Controller('api/v1/monitor')
export class MonitorController {
  constructor(
    private readonly messages: MessageService,
    private readonly reader: MessageQueryService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('messages')
  @ApiOperation({
    summary: 'Add Messages',
    description:
      "Stores 1 to 1000 messages at once, all or nothing, and answers them in the input's order. " +
      'An extension: Langflow writes messages from its own flow runs, a standalone service needs a route. ' +
      "A flow id never seen before becomes the caller's flow.",
  })
  @ApiBody({
    type: CreateMessageDto,
    isArray: true,
    description: '1 to 1000 messages; unknown fields are refused.',
    examples: {
      conversation: {
        summary: 'A question and its answer',
        value: [
          {
            flow_id: '9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d',
            session_id: 'support-chat-42',
            sender: 'User',
            sender_name: 'User',
            text: 'Hello, can you help me reset my password?',
            timestamp: '2026-11-24T13:09:00.123Z',
          },
          {
            flow_id: '9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d',
            session_id: 'support-chat-42',
            sender: 'Machine',
            sender_name: 'AI',
            text: 'Of course. Open Settings, then Security, then "Reset password".',
            properties: { source: 'web' },
            timestamp: '2026-11-24T13:09:02.456Z',
          },
        ],
      },
    },
  })
  @ApiCreatedResponse({
    type: MessageResponseDto,
    isArray: true,
    description: "The stored messages, in the input's order.",
  })
  @ApiErrors({
    notFound: 'Flow not found',
    conflict: 'Message already exists: 0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b',
    validation: {
      ...emptyListExample(),
      ...issueExample('Missing field', {
        type: 'missing',
        loc: ['body', 0, 'session_id'],
        msg: 'Field required',
        input: null,
      }),
      ...unknownFieldExample(['body', 0, 'colour']),
    },
    extra: [BODY_TOO_LARGE_ERROR],
  })
  async addMessages(
    @CurrentUser() user: AuthenticatedUser,
    @Body(new ListBodyPipe(CreateMessageDto, { min: 1, max: MAX_INGEST_BATCH }))
    items: CreateMessageDto[],
  ): Promise<StreamableFile> {
    return jsonArrayResponse(await this.messages.ingest(user, items));
  }

  @Get('messages')
  @ApiOperation({
    summary: 'Get Messages',
    description:
      "Lists the caller's messages, filtered by any of the parameters (combined with AND), ordered by " +
      'timestamp then id unless `order_by` / `order` say otherwise. With `limit` (or `cursor`) the ' +
      "answer is one page, still a bare array: the next page's cursor comes in `X-Next-Cursor` and " +
      'its address in `Link: <...>; rel="next"`; on the last page neither header is sent. ' +
      "With `offset` (Langflow's chat-history paging) the answer is the window of `limit` messages " +
      '(default 100) ending `offset` messages before the newest, oldest first, or newest first ' +
      'with `order=desc` (Langflow 1.12+ sends `offset=0&limit=30&order=DESC`; `order` is read in ' +
      'either case).',
  })
  @ApiOkResponse({
    type: MessageResponseDto,
    isArray: true,
    description: 'The matching messages (or one page of them); an empty list when none match.',
    headers: {
      'X-Next-Cursor': {
        description: 'Paged requests only, when another page follows: its cursor.',
        schema: { type: 'string' },
      },
      Link: {
        description: 'Paged requests only, when another page follows: `<url>; rel="next"`.',
        schema: { type: 'string' },
      },
    },
  })
  @ApiErrors({
    validation: {
      ...issueExample('Unknown order_by column', {
        type: 'value_error',
        loc: ['query', 'order_by'],
        msg: 'Value error, must be one of: timestamp, id, sender, sender_name, session_id, category, flow_id',
        input: 'password',
      }),
      ...issueExample('limit out of range', {
        type: 'less_than_equal',
        loc: ['query', 'limit'],
        msg: 'Input should be less than or equal to 1000',
        input: 5000,
      }),
      ...issueExample('offset with cursor', {
        type: 'value_error',
        loc: ['query', 'offset'],
        msg: 'Value error, offset and cursor cannot be combined',
        input: 100,
      }),
      ...issueExample('Bad cursor', {
        type: 'value_error',
        loc: ['query', 'cursor'],
        msg: 'Value error, not a cursor this service made',
        input: 'abc',
      }),
    },
  })
  async getMessages(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: ListMessagesQueryDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    if (query.offset !== undefined) {
      return jsonArrayResponse(await this.reader.window(user.id, query));
    }
    if (query.limit === undefined && query.cursor === undefined) {
      return jsonArrayResponse(this.reader.list(user.id, query), this.config.scale.spoolDirectory);
    }
    const page = await this.reader.page(user.id, query);
    if (page.nextCursor) {
      response.setHeader('X-Next-Cursor', page.nextCursor);
      response.setHeader('Link', nextPageLink(request, page.nextCursor));
    }
    return jsonArrayResponse(page.items);
  }

  @Get('messages/export')
  @ApiOperation({
    summary: 'Export Messages',
    description:
      "Streams the caller's messages as newline-delimited JSON (one MessageResponse a line), with " +
      'the same filters and ordering as Get Messages, in constant memory whatever the size. For ' +
      'backups and analytics (an extension).',
  })
  @ApiOkResponse({
    description: 'One MessageResponse JSON object a line; an empty body when none match.',
    content: {
      'application/x-ndjson': {
        schema: { type: 'string' },
        example:
          '{"id":"0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b","flow_id":"9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d","timestamp":"2026-11-24T13:09:00.123Z","sender":"User","sender_name":"User","session_id":"support-chat-42","context_id":null,"text":"Hello","files":[],"edit":false,"properties":{},"category":"message","content_blocks":[],"duration":null,"session_metadata":null}\n',
      },
    },
  })
  @ApiErrors({
    validation: malformedUuidExample('Invalid flow_id', ['query', 'flow_id']),
  })
  exportMessages(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: MessageFiltersQueryDto,
  ): Promise<StreamableFile> {
    return ndjsonResponse(this.reader.list(user.id, query), this.config.scale.spoolDirectory);
  }

  @Delete('messages')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete Messages',
    description: `Deletes the caller's messages among 1 to ${MAX_DELETE_BATCH} ids, in one transaction. Unknown ids and other users' messages are ignored.`,
  })
  @ApiBody({
    description: `1 to ${MAX_DELETE_BATCH} message ids (UUIDs).`,
    schema: { type: 'array', items: { type: 'string', format: 'uuid' } },
    examples: {
      two: {
        summary: 'Two messages',
        value: ['0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b', '0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2c'],
      },
    },
  })
  @ApiNoContentResponse({ description: 'Done; none of the ids is a message of yours any more.' })
  @ApiErrors({
    validation: {
      ...malformedUuidExample('Malformed id', ['body', 1]),
      ...emptyListExample(),
    },
  })
  async deleteMessages(
    @CurrentUser() user: AuthenticatedUser,
    @Body(new ValueListBodyPipe(uuidItem, { min: 1, max: MAX_DELETE_BATCH })) messageIds: string[],
  ): Promise<void> {
    await this.messages.deleteMany(user.id, messageIds);
  }

  @Get('messages/:message_id')
  @ApiOperation({
    summary: 'Get Message',
    description:
      "One of the caller's messages, with an `ETag` to send back in `If-Match` when updating it " +
      '(an extension).',
  })
  @ApiOkResponse({
    type: MessageResponseDto,
    description: 'The message.',
    headers: {
      ETag: { description: "The message's current version.", schema: { type: 'string' } },
    },
  })
  @ApiErrors({
    notFound: 'Message not found',
    validation: malformedUuidExample('Malformed id', ['path', 'message_id']),
  })
  async getMessage(
    @CurrentUser() user: AuthenticatedUser,
    @Param() params: MessagePathParamsDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    const message = await this.reader.findOne(user.id, params.message_id);
    response.setHeader('ETag', message.etag);
    return jsonTextResponse(message.json);
  }

  @Put('messages/:message_id')
  @ApiOperation({
    summary: 'Update Message',
    description:
      "Changes some fields of one of the caller's messages. `edit` becomes true when `text` " +
      'changes, unless the body sets `edit` itself. With `If-Match` (the `ETag` of Get Message or ' +
      'of a previous update), the change is made only if the message has not changed since; ' +
      'otherwise 412 and nothing changes. Without it, the last writer wins, as in Langflow.',
  })
  @ApiHeader({
    name: 'If-Match',
    required: false,
    description: 'The ETag the caller last saw; `*` for any version.',
    example: '"q1n0kJv5dN3f8m4xGk2hQ0c7pZsR1yT"',
  })
  @ApiBody({
    type: UpdateMessageDto,
    examples: {
      text: { summary: 'Correct the text', value: { text: 'Hello, I need a password reset.' } },
      move: { summary: 'Move to another session', value: { session_id: 'support-chat-43' } },
    },
  })
  @ApiOkResponse({
    type: MessageResponseDto,
    description: 'The message as it is now.',
    headers: { ETag: { description: "The message's new version.", schema: { type: 'string' } } },
  })
  @ApiErrors({
    notFound: 'Message not found',
    validation: {
      ...malformedUuidExample('Malformed id', ['path', 'message_id']),
      ...unknownFieldExample(['body', 'colour']),
    },
    extra: [
      {
        status: 412,
        description: 'If-Match did not match: the message changed since the caller read it.',
        detail: 'Precondition failed',
      },
    ],
  })
  async updateMessage(
    @CurrentUser() user: AuthenticatedUser,
    @Param() params: MessagePathParamsDto,
    @Body() body: UpdateMessageDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    const message = await this.messages.update(user.id, params.message_id, body, ifMatch);
    response.setHeader('ETag', message.etag);
    return jsonTextResponse(message.json);
  }
}
