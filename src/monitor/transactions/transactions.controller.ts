import { Body, Controller, Get, Post, Query, StreamableFile } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
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
import { ListBodyPipe } from '../../common/validation/list-body.pipe';
import { CreateTransactionDto } from './dto/create-transaction.dto';
import { TransactionPageDto } from './dto/transaction-page.dto';
import { TransactionResponseDto } from './dto/transaction-response.dto';
import { TransactionsQueryDto } from './dto/transactions.query.dto';
import { TransactionsService } from './transactions.service';

export const MAX_TRANSACTION_BATCH = 1000;

@ApiTags('Monitor')
@ApiSecurity('api_key')
@Controller('api/v1/monitor/transactions')
export class TransactionsController {
  constructor(private readonly transactions: TransactionsService) {}

  @Get()
  @ApiOperation({
    summary: 'Get Transactions',
    description:
      "One page of the log of component runs of one of the caller's flows, newest first (ties by " +
      "id, descending, so pages are stable), in Langflow's Page shape. A page past the end has no " +
      "items but the real `total` and `pages`. A flow that is not the caller's, or was never " +
      'seen, answers an empty first page (never 404). Secrets in `inputs` and `outputs` were ' +
      'masked, and `code` removed, before they were stored.',
  })
  @ApiOkResponse({
    type: TransactionPageDto,
    description: 'The page; `pages` is ceil(total / size), 0 when there are none.',
  })
  @ApiErrors({
    validation: {
      ...issueExample('flow_id missing', {
        type: 'missing',
        loc: ['query', 'flow_id'],
        msg: 'Field required',
        input: null,
      }),
      ...malformedUuidExample('Invalid flow_id', ['query', 'flow_id']),
      ...issueExample('size over 100', {
        type: 'less_than_equal',
        loc: ['query', 'size'],
        msg: 'Input should be less than or equal to 100',
        input: 101,
      }),
      ...issueExample('page 0', {
        type: 'greater_than_equal',
        loc: ['query', 'page'],
        msg: 'Input should be greater than or equal to 1',
        input: 0,
      }),
    },
  })
  async getTransactions(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: TransactionsQueryDto,
  ): Promise<StreamableFile> {
    return jsonTextResponse(await this.transactions.page(user.id, query));
  }

  @Post()
  @ApiOperation({
    summary: 'Add Transactions',
    description:
      'Stores 1 to 1000 component runs at once, all or nothing, and answers them in the input ' +
      'order, as stored. An extension: Langflow writes these from its own flow runs. Secrets in ' +
      '`inputs` and `outputs` are masked (`api_key`, `password`, `token`, names ending in them and ' +
      'the like: a string over 12 characters keeps its first and last four, anything else becomes ' +
      '`***REDACTED***`) and every `code` key is removed, at any depth, before storing. A flow id ' +
      "never seen before becomes the caller's flow; each flow then keeps its newest " +
      '`MAX_TRANSACTIONS_TO_KEEP` transactions.',
  })
  @ApiBody({
    type: CreateTransactionDto,
    isArray: true,
    description: '1 to 1000 transactions; unknown fields are refused.',
    examples: {
      run: {
        summary: 'A model call with a key in its inputs',
        value: [
          {
            flow_id: '9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d',
            vertex_id: 'OpenAIModel-2kd9x',
            target_id: 'ChatOutput-u9cPC',
            status: 'success',
            inputs: {
              input_value: 'Hello',
              api_key: 'sk-proj-abcdefghijklmnop',
              max_tokens: 256,
              code: 'class Component: ...',
            },
            outputs: { text_output: 'Hi! How can I help?' },
            timestamp: '2026-11-24T13:09:00.123Z',
          },
        ],
      },
    },
  })
  @ApiCreatedResponse({
    type: TransactionResponseDto,
    isArray: true,
    description: "The stored transactions (secrets masked), in the input's order.",
  })
  @ApiErrors({
    notFound: 'Flow not found',
    conflict: 'Transaction already exists: 0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b',
    validation: {
      ...emptyListExample(),
      ...issueExample('Unknown status', {
        type: 'value_error',
        loc: ['body', 0, 'status'],
        msg: 'Value error, must be one of: success, error',
        input: 'done',
      }),
      ...unknownFieldExample(['body', 0, 'colour']),
    },
    extra: [BODY_TOO_LARGE_ERROR],
  })
  async addTransactions(
    @CurrentUser() user: AuthenticatedUser,
    @Body(new ListBodyPipe(CreateTransactionDto, { min: 1, max: MAX_TRANSACTION_BATCH }))
    items: CreateTransactionDto[],
  ): Promise<StreamableFile> {
    return jsonArrayResponse(await this.transactions.ingest(user, items));
  }
}
