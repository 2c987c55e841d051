import { Controller, HttpCode, Post, Req } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { Request } from 'express';
import { AuthenticatedUser } from '../../auth/authenticated-user';
import { CurrentUser } from '../../auth/current-user.decorator';
import { ApiErrors, issueExample } from '../../common/openapi/api-errors.decorator';
import { ImportResultDto } from './dto/import-result.dto';
import { MessageImportService } from './message-import.service';

@ApiTags('Monitor')
@ApiSecurity('api_key')
@Controller('api/v1/monitor/messages/import')
export class MessageImportController {
  constructor(private readonly importer: MessageImportService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Import Messages',
    description:
      'Restores what Export Messages wrote: newline-delimited JSON, one message a line (the ' +
      "ingest's fields; blank lines ignored), streamed, of any size, in constant memory, as it is " +
      'or compressed (`Content-Encoding: gzip`, `deflate` or `br`: a gzipped export restores as ' +
      "it is). Each line is held to a JSON body's limits: at most BODY_LIMIT_BYTES (10 MiB) " +
      'decompressed and JSON_MAX_DEPTH (64) levels deep. The messages are stored for the caller ' +
      "with the ingest's rules, all or nothing: a line that is not a valid message answers 422 " +
      'naming the line (`loc: ["body", <line number from 1>, <field>]`), a body that does not ' +
      "decompress too (naming the line it broke in), and nothing is stored; another user's flow " +
      "is a 404, a message id of another user's a 409, and then nothing is stored either. A " +
      "message id that is already the caller's is skipped and counted, so running the same " +
      'import again changes nothing.',
  })
  @ApiConsumes('application/x-ndjson')
  @ApiBody({
    description: 'One message a line, as Export Messages writes them.',
    schema: { type: 'string' },
    examples: {
      backup: {
        summary: 'Two lines of an export',
        value:
          '{"id":"0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b","flow_id":"9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d","timestamp":"2026-11-24T13:09:00.123Z","sender":"User","sender_name":"User","session_id":"support-chat-42","context_id":null,"text":"Hello","files":[],"edit":false,"properties":{},"category":"message","content_blocks":[]}\n' +
          '{"id":"0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2c","flow_id":"9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d","timestamp":"2026-11-24T13:09:02.456Z","sender":"Machine","sender_name":"AI","session_id":"support-chat-42","context_id":null,"text":"Hi! How can I help?","files":[],"edit":false,"properties":{},"category":"message","content_blocks":[]}\n',
      },
    },
  })
  @ApiOkResponse({
    type: ImportResultDto,
    description: 'How many messages were stored, and how many were yours already.',
  })
  @ApiErrors({
    notFound: 'Flow not found',
    conflict: 'Message already exists: 0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b',
    validation: {
      ...issueExample('Missing field on line 3', {
        type: 'missing',
        loc: ['body', 3, 'session_id'],
        msg: 'Field required',
        input: null,
      }),
      ...issueExample('Not JSON on line 2', {
        type: 'json_invalid',
        loc: ['body', 2],
        msg: 'JSON decode error on line 2: Unexpected token \'h\', "hello" is not valid JSON',
        input: 'hello',
      }),
      ...issueExample('Nested too deep on line 4', {
        type: 'value_error',
        loc: ['body', 4],
        msg: 'Value error, JSON nested deeper than 64 levels',
        input: null,
      }),
      ...issueExample('Line 5 over the limit', {
        type: 'value_error',
        loc: ['body', 5],
        msg: 'Value error, line longer than 10 MiB',
        input: null,
      }),
      ...issueExample('A gzipped body cut short in line 1200', {
        type: 'value_error',
        loc: ['body', 1200],
        msg: 'Value error, the body is not valid gzip data (unexpected end of file)',
        input: null,
      }),
    },
    extra: [
      {
        status: 415,
        description:
          'The body is sent as JSON rather than NDJSON, or with a Content-Encoding other than ' +
          'gzip, deflate or br.',
        detail: 'Request body must be NDJSON (application/x-ndjson), one message a line',
      },
    ],
  })
  async importMessages(
    @CurrentUser() user: AuthenticatedUser,
    @Req() request: Request,
  ): Promise<ImportResultDto> {
    return this.importer.import(user, request);
  }
}
