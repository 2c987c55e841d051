import { Body, Controller, Get, Param, Patch, Post, Query, StreamableFile } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/current-user.decorator';
import { jsonArrayResponse } from '../common/http/json-array-stream';
import { ApiErrors, issueExample } from '../common/openapi/api-errors.decorator';
import { ListBodyPipe } from '../common/validation/list-body.pipe';
import { CreateMessageDto } from './dto/create-message.dto';
import { ListMessagesQueryDto } from './dto/list-messages.query.dto';
import { MessageResponseDto } from './dto/message-response.dto';
import { SessionPathParamsDto } from './dto/session-path.params.dto';
import { UpdateSessionQueryDto } from './dto/update-session.query.dto';
import { MessageService } from './message.service';
import { SessionService } from './session.service';

export const MAX_INGEST_BATCH = 1000;

@ApiTags('Monitor')
@ApiSecurity('api_key')
@Controller('api/v1/monitor')
export class MonitorController {
  constructor(
    private readonly messages: MessageService,
    private readonly sessions: SessionService,
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
      ...issueExample('Empty list', {
        type: 'too_short',
        loc: ['body'],
        msg: 'List should have at least 1 item after validation, not 0',
        input: [],
      }),
      ...issueExample('Missing field', {
        type: 'missing',
        loc: ['body', 0, 'session_id'],
        msg: 'Field required',
        input: null,
      }),
      ...issueExample('Unknown field', {
        type: 'extra_forbidden',
        loc: ['body', 0, 'colour'],
        msg: 'Extra inputs are not permitted',
        input: 'blue',
      }),
    },
    extra: [
      {
        status: 413,
        description: 'The body is over 10 MiB.',
        detail: 'Request body too large: the limit is 10 MiB',
      },
    ],
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
      'timestamp then id unless `order_by` says otherwise.',
  })
  @ApiOkResponse({
    type: MessageResponseDto,
    isArray: true,
    description: 'The matching messages; an empty list when none match.',
  })
  @ApiErrors({
    validation: issueExample('Unknown order_by column', {
      type: 'value_error',
      loc: ['query', 'order_by'],
      msg: 'Value error, must be one of: timestamp, id, sender, sender_name, session_id, category, flow_id',
      input: 'password',
    }),
  })
  getMessages(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: ListMessagesQueryDto,
  ): Promise<StreamableFile> {
    return jsonArrayResponse(this.messages.list(user, query));
  }

  @Patch('messages/session/:old_session_id')
  @ApiOperation({
    summary: 'Update Session Id',
    description:
      "Moves every message of one of the caller's sessions to a new session id, in one transaction, " +
      'and answers the moved messages ordered by timestamp, then id. No request body. ' +
      'If the new id already has messages, the sessions merge; the answer still lists only the ' +
      'messages that moved. The same id as the old one answers the messages unchanged.',
  })
  @ApiOkResponse({
    type: MessageResponseDto,
    isArray: true,
    description: 'The messages that moved, now in the new session.',
  })
  @ApiErrors({
    notFound: 'No messages found with the given session ID',
    validation: {
      ...issueExample('new_session_id missing', {
        type: 'missing',
        loc: ['query', 'new_session_id'],
        msg: 'Field required',
        input: null,
      }),
      ...issueExample('new_session_id empty', {
        type: 'string_too_short',
        loc: ['query', 'new_session_id'],
        msg: 'String should have at least 1 character',
        input: '',
      }),
      ...issueExample('new_session_id given twice', {
        type: 'string_type',
        loc: ['query', 'new_session_id'],
        msg: 'Input should be a valid string',
        input: ['a', 'b'],
      }),
    },
  })
  async updateSessionId(
    @CurrentUser() user: AuthenticatedUser,
    @Param() params: SessionPathParamsDto,
    @Query() query: UpdateSessionQueryDto,
  ): Promise<StreamableFile> {
    return jsonArrayResponse(
      await this.sessions.rename(user.id, params.old_session_id, query.new_session_id),
    );
  }
}
