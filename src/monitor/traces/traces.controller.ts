import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  StreamableFile,
} from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { AuthenticatedUser } from '../../auth/authenticated-user';
import { CurrentUser } from '../../auth/current-user.decorator';
import { jsonArrayResponse, jsonTextResponse } from '../../common/http/json-array-stream';
import {
  ApiErrors,
  BODY_TOO_LARGE_ERROR,
  emptyListExample,
  issueExample,
  malformedUuidExample,
  unknownFieldExample,
} from '../../common/openapi/api-errors.decorator';
import { CreateTraceDto } from './dto/create-trace.dto';
import { DeleteTracesQueryDto } from './dto/delete-traces.query.dto';
import { TraceDetailDto } from './dto/trace-detail.dto';
import { TraceListDto } from './dto/trace-list.dto';
import { TracePathParamsDto } from './dto/trace-path.params.dto';
import { TraceSummaryDto } from './dto/trace-summary.dto';
import { TracesQueryDto } from './dto/traces.query.dto';
import { TraceIngestService } from './trace-ingest.service';
import { TraceListBodyPipe } from './trace-list-body.pipe';
import { TracesService } from './traces.service';

const SPAN_EXAMPLE = {
  status: 'ok',
  error: null,
  modelName: null,
  tokenUsage: null,
  children: [],
};

const TRACE_EXAMPLE = {
  id: '0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b',
  name: 'Basic Prompting - 9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d',
  status: 'ok',
  startTime: '2026-11-24T13:09:00.000Z',
  endTime: '2026-11-24T13:09:01.000Z',
  totalLatencyMs: 1000,
  totalTokens: 42,
  flowId: '9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d',
  sessionId: 'session-42',
  input: { input_value: 'Hello' },
  output: { text: 'Hi! How can I help?' },
  spans: [
    {
      ...SPAN_EXAMPLE,
      id: '0193a1b2-c3d4-7e5f-8a6b-000000000001',
      name: 'Chat Input',
      type: 'chain',
      startTime: '2026-11-24T13:09:00.000Z',
      endTime: '2026-11-24T13:09:00.010Z',
      latencyMs: 10,
      inputs: { input_value: 'Hello' },
      outputs: { message: 'Hello' },
    },
    {
      ...SPAN_EXAMPLE,
      id: '0193a1b2-c3d4-7e5f-8a6b-000000000002',
      name: 'OpenAI',
      type: 'llm',
      startTime: '2026-11-24T13:09:00.020Z',
      endTime: '2026-11-24T13:09:01.000Z',
      latencyMs: 980,
      inputs: { input_value: 'Hello', api_key: 'sk-p...mnop' },
      outputs: { text: 'Hi! How can I help?' },
      modelName: 'gpt-4o-mini',
      tokenUsage: { promptTokens: 12, completionTokens: 30, totalTokens: 42 },
    },
  ],
};

const MALFORMED_TRACE_ID = malformedUuidExample('Malformed id', ['path', 'trace_id']);

@ApiTags('Traces')
@ApiSecurity('api_key')
@Controller('api/v1/monitor/traces')
export class TracesController {
  constructor(
    private readonly traces: TracesService,
    private readonly ingestion: TraceIngestService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Get Traces',
    description:
      "One page of the caller's traces (flow runs) that pass every filter given, newest start " +
      'first (ties by id, descending), as Langflow 1.8+ lists them for its trace view. ' +
      '`totalTokens` sums the leaf spans only; `input` comes from the "Chat Input" span, ' +
      '`output` from the root span that ended last. A page past the end has no traces but the ' +
      'real `total` and `pages`.',
  })
  @ApiOkResponse({ type: TraceListDto, description: 'The page.' })
  @ApiErrors({
    validation: {
      ...malformedUuidExample('Invalid flow_id', ['query', 'flow_id']),
      ...issueExample('Unknown status', {
        type: 'value_error',
        loc: ['query', 'status'],
        msg: 'Value error, must be one of: unset, ok, error',
        input: 'done',
      }),
      ...issueExample('size over 200', {
        type: 'less_than_equal',
        loc: ['query', 'size'],
        msg: 'Input should be less than or equal to 200',
        input: 201,
      }),
      ...issueExample('query too long', {
        type: 'string_too_long',
        loc: ['query', 'query'],
        msg: 'String should have at most 50 characters',
        input: 'x'.repeat(51),
      }),
    },
  })
  async getTraces(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: TracesQueryDto,
  ): Promise<StreamableFile> {
    return jsonTextResponse(await this.traces.list(user.id, query));
  }

  @Post()
  @ApiOperation({
    summary: 'Add Traces',
    description:
      'Stores 1 to 1000 traces with their spans (a flat list each, linked by `parent_span_id`), ' +
      'all or nothing, and answers their summaries in the input order, as the list shows them. ' +
      'An extension: Langflow records traces itself. At most 1000 spans a trace and 5000 in one ' +
      'request, nested at most 64 deep. Secrets in `inputs`, `outputs` and `attributes` are ' +
      "masked and `code` removed, as for transactions. A flow id never seen becomes the caller's " +
      'flow; each flow then keeps the `MAX_TRACES_TO_KEEP` traces that started last. A trace ' +
      'left without `end_time`, latency, tokens or status gets them from its spans.',
  })
  @ApiBody({
    type: CreateTraceDto,
    isArray: true,
    description: '1 to 1000 traces; unknown fields are refused.',
    examples: {
      run: {
        summary: 'A chat run: input, model call, output',
        value: [
          {
            id: '0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b',
            flow_id: '9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d',
            name: 'Basic Prompting - 9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d',
            session_id: 'session-42',
            spans: [
              {
                id: '0193a1b2-c3d4-7e5f-8a6b-000000000001',
                name: 'Chat Input',
                start_time: '2026-11-24T13:09:00.000Z',
                end_time: '2026-11-24T13:09:00.010Z',
                inputs: { input_value: 'Hello' },
                outputs: { message: 'Hello' },
              },
              {
                id: '0193a1b2-c3d4-7e5f-8a6b-000000000002',
                name: 'OpenAI',
                span_type: 'llm',
                start_time: '2026-11-24T13:09:00.020Z',
                end_time: '2026-11-24T13:09:01.000Z',
                inputs: { input_value: 'Hello', api_key: 'sk-proj-abcdefghijklmnop' },
                outputs: { text: 'Hi! How can I help?' },
                attributes: { model_name: 'gpt-4o-mini', prompt_tokens: 12, completion_tokens: 30 },
              },
            ],
          },
        ],
      },
    },
  })
  @ApiCreatedResponse({
    type: TraceSummaryDto,
    isArray: true,
    description: "The stored traces' summaries, in the input's order.",
  })
  @ApiErrors({
    notFound: 'Flow not found',
    conflict: 'Trace already exists: 0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b',
    validation: {
      ...emptyListExample(),
      ...issueExample('Unknown parent', {
        type: 'value_error',
        loc: ['body', 0, 'spans', 1, 'parent_span_id'],
        msg: 'Value error, must be the id of another span of this trace',
        input: '0193a1b2-c3d4-7e5f-8a6b-00000000000f',
      }),
      ...unknownFieldExample(['body', 0, 'colour']),
    },
    extra: [BODY_TOO_LARGE_ERROR],
  })
  async addTraces(
    @CurrentUser() user: AuthenticatedUser,
    @Body(new TraceListBodyPipe()) items: CreateTraceDto[],
  ): Promise<StreamableFile> {
    return jsonArrayResponse(await this.ingestion.ingest(user, items));
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete Traces By Flow',
    description:
      "Deletes every trace (and span) of one of the caller's flows. A flow that is not the " +
      "caller's, or was never seen, is a 404, as in Langflow.",
  })
  @ApiNoContentResponse({ description: 'Done; the flow has no traces any more.' })
  @ApiErrors({
    notFound: 'Flow not found',
    validation: {
      ...issueExample('flow_id missing', {
        type: 'missing',
        loc: ['query', 'flow_id'],
        msg: 'Field required',
        input: null,
      }),
      ...malformedUuidExample('Invalid flow_id', ['query', 'flow_id']),
    },
  })
  async deleteTraces(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: DeleteTracesQueryDto,
  ): Promise<void> {
    await this.traces.deleteForFlow(user.id, query.flow_id);
  }

  @Get(':trace_id')
  @ApiOperation({
    summary: 'Get Trace',
    description:
      "One of the caller's traces with its span tree: root spans by start time, each with its " +
      'children nested the same way.',
  })
  @ApiOkResponse({ type: TraceDetailDto, description: 'The trace.', example: TRACE_EXAMPLE })
  @ApiErrors({ notFound: 'Trace not found', validation: MALFORMED_TRACE_ID })
  async getTrace(
    @CurrentUser() user: AuthenticatedUser,
    @Param() params: TracePathParamsDto,
  ): Promise<StreamableFile> {
    return jsonTextResponse(await this.traces.detail(user.id, params.trace_id));
  }

  @Delete(':trace_id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete Trace',
    description: "Deletes one of the caller's traces and all its spans.",
  })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiErrors({ notFound: 'Trace not found', validation: MALFORMED_TRACE_ID })
  async deleteTrace(
    @CurrentUser() user: AuthenticatedUser,
    @Param() params: TracePathParamsDto,
  ): Promise<void> {
    await this.traces.deleteTrace(user.id, params.trace_id);
  }
}
