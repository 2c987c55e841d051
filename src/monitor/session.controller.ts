import {
  Inject,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Query,
  Res,
  StreamableFile,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Response } from 'express';
import {
  ApiBody,
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
import { jsonArrayResponse } from '../common/http/json-array-stream';
import {
  ApiErrors,
  issueExample,
  malformedUuidExample,
  emptyListExample,
} from '../common/openapi/api-errors.decorator';
import { sessionIdItem, ValueListBodyPipe } from '../common/validation/value-list-body.pipe';
import { DeleteSessionParamsDto } from './dto/delete-session.params.dto';
import { DeleteSessionsResultDto } from './dto/delete-sessions-result.dto';
import { ListSessionsQueryDto } from './dto/list-sessions.query.dto';
import { MessageResponseDto } from './dto/message-response.dto';
import { SessionPathParamsDto } from './dto/session-path.params.dto';
import { UpdateSessionQueryDto } from './dto/update-session.query.dto';
import { MAX_SESSIONS_PER_DELETE, TooManySessionsError } from './errors/too-many-sessions.error';
import { SessionService } from './session.service';

/**
 * The session routes. Registered before MonitorController, so that `messages/sessions` is not
 * taken for a message id.
 */
@ApiTags('Monitor')
@ApiSecurity('api_key')
@Controller('api/v1/monitor/messages')
export class SessionController {
  constructor(
    private readonly sessions: SessionService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly http: HttpAdapterHost,
  ) {}

  @Get('sessions')
  @ApiOperation({
    summary: 'Get Message Sessions',
    description:
      "The caller's distinct session ids, optionally within one flow, most recently active first " +
      '(by their newest message; ties by id).',
  })
  @ApiOkResponse({
    description: 'Session ids; an empty list when there are none.',
    schema: { type: 'array', items: { type: 'string' } },
    example: ['support-chat-43', 'support-chat-42'],
  })
  @ApiErrors({
    validation: malformedUuidExample('Invalid flow_id', ['query', 'flow_id']),
  })
  listSessions(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: ListSessionsQueryDto,
  ): Promise<StreamableFile> {
    return jsonArrayResponse(
      this.sessions.listSessionIds(user.id, query.flow_id),
      this.config.scale.spoolDirectory,
    );
  }

  @Patch('session/:old_session_id')
  @ApiOperation({
    summary: 'Update Session Id',
    description:
      "Moves every message of one of the caller's sessions to a new session id, in one transaction, " +
      'and answers the moved messages ordered by timestamp, then id. No request body. ' +
      'If the new id already has messages, the sessions merge (or, with `on_conflict=reject`, the ' +
      'rename is refused with 409); the answer lists only the messages that moved. The same id as ' +
      'the old one answers the messages unchanged.',
  })
  @ApiOkResponse({
    type: MessageResponseDto,
    isArray: true,
    description: 'The messages that moved, now in the new session.',
  })
  @ApiErrors({
    notFound: 'No messages found with the given session ID',
    conflict: 'Session already exists: support-chat-42-archived',
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
    // The answer is sent here, not returned: most renames move a few dozen messages, and one
    // string written at once costs less than a stream piped through Nest's reply (issue 11).
    @Res() response: Response,
  ): Promise<void> {
    const answer = await this.sessions.rename(
      user.id,
      params.old_session_id,
      query.new_session_id,
      query.on_conflict,
    );
    answer.reply(this.http.httpAdapter, response);
  }

  @Delete('session/:session_id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete Messages Session',
    description:
      "Deletes every message the caller has in the session. Idempotent: a session that has none (or that is someone else's) answers 204 too, untouched.",
  })
  @ApiNoContentResponse({ description: 'Done; the session has no messages of yours.' })
  @ApiErrors({
    validation: issueExample('Control character in the id', {
      type: 'value_error',
      loc: ['path', 'session_id'],
      msg: 'Value error, session ids must not contain control characters',
      input: 'bad\nid',
    }),
  })
  async deleteSession(
    @CurrentUser() user: AuthenticatedUser,
    @Param() params: DeleteSessionParamsDto,
  ): Promise<void> {
    await this.sessions.deleteSession(user.id, params.session_id);
  }

  @Delete('sessions')
  @ApiOperation({
    summary: 'Delete Messages Sessions',
    description: `Deletes every message the caller has in any of 1 to ${MAX_SESSIONS_PER_DELETE} sessions, in one transaction. Sessions with none of your messages are skipped and not counted.`,
  })
  @ApiBody({
    description: `1 to ${MAX_SESSIONS_PER_DELETE} session ids.`,
    schema: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 255 } },
    examples: { two: { summary: 'Two sessions', value: ['support-chat-42', 'support-chat-43'] } },
  })
  @ApiOkResponse({ type: DeleteSessionsResultDto, description: 'How many sessions were deleted.' })
  @ApiErrors({
    validation: emptyListExample(),
    extra: [
      {
        status: 400,
        description: `More than ${MAX_SESSIONS_PER_DELETE} session ids.`,
        detail: new TooManySessionsError().detail,
      },
    ],
  })
  async deleteSessions(
    @CurrentUser() user: AuthenticatedUser,
    @Body(
      new ValueListBodyPipe(
        sessionIdItem,
        { min: 1, max: MAX_SESSIONS_PER_DELETE },
        () => new TooManySessionsError(),
      ),
    )
    sessionIds: string[],
  ): Promise<DeleteSessionsResultDto> {
    return DeleteSessionsResultDto.of(await this.sessions.deleteSessions(user.id, sessionIds));
  }
}
