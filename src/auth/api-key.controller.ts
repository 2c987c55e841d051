import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import {
  ApiErrors,
  issueExample,
  malformedUuidExample,
} from '../common/openapi/api-errors.decorator';
import { ApiKeyService } from './api-key.service';
import { toApiKeyDto, toCreatedApiKeyDto } from './api-key.mapper';
import { AuthenticatedUser } from './authenticated-user';
import { CurrentUser } from './current-user.decorator';
import { ApiKeyListDto } from './dto/api-key-list.dto';
import { ApiKeyParamsDto } from './dto/api-key-params.dto';
import { CreateApiKeyDto } from './dto/create-api-key.dto';
import { CreatedApiKeyDto } from './dto/created-api-key.dto';

@ApiTags('API keys')
@ApiSecurity('api_key')
@Controller('api/v1/api_key')
export class ApiKeyController {
  constructor(private readonly apiKeys: ApiKeyService) {}

  @Get()
  @ApiOperation({
    operationId: 'listApiKeys',
    summary: 'List your API keys',
    description:
      "Lists the caller's keys. Secrets are never shown again, only a preview of each; " +
      '`last_used_at` is kept to within a minute.',
  })
  @ApiOkResponse({ type: ApiKeyListDto, description: "The caller's keys." })
  @ApiErrors({})
  async list(@CurrentUser() user: AuthenticatedUser): Promise<ApiKeyListDto> {
    const keys = await this.apiKeys.list(user.id);
    return { total_count: keys.length, user_id: user.id, api_keys: keys.map(toApiKeyDto) };
  }

  @Post()
  @ApiOperation({
    operationId: 'createApiKey',
    summary: 'Create an API key',
    description:
      'Makes a new key for the caller. The answer is the only time the key is shown: store it. ' +
      'With `expires_at` the key stops working at that time (403, like a revoked key); a key made ' +
      'with an expiring key expires no later than it.',
  })
  @ApiBody({
    type: CreateApiKeyDto,
    examples: {
      named: { summary: 'A named key', value: { name: 'ci-pipeline' } },
      expiring: {
        summary: 'A key that stops working at a given time',
        value: { name: 'contractor', expires_at: '2099-01-01T00:00:00Z' },
      },
      unnamed: { summary: 'No name (it is called "api key")', value: {} },
    },
  })
  @ApiCreatedResponse({
    type: CreatedApiKeyDto,
    description: 'The new key, with its secret shown this once.',
  })
  @ApiErrors({
    validation: issueExample('Name too long', {
      type: 'string_too_long',
      loc: ['body', 'name'],
      msg: 'String should have at most 100 characters',
      input: '…',
    }),
  })
  async create(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: CreateApiKeyDto,
  ): Promise<CreatedApiKeyDto> {
    const issued = await this.apiKeys.issueFor(user, body.name ?? 'api key', body.expires_at);
    return toCreatedApiKeyDto(issued.record, issued.plainKey);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key',
    description: "Revokes one of the caller's keys; it stops working at once.",
  })
  @ApiNoContentResponse({ description: 'Revoked; no body.' })
  @ApiErrors({
    notFound: 'API key not found',
    validation: malformedUuidExample('Malformed id', ['path', 'id'], 'abc'),
  })
  async revoke(
    @CurrentUser() user: AuthenticatedUser,
    @Param() params: ApiKeyParamsDto,
  ): Promise<void> {
    await this.apiKeys.revoke(user.id, params.id);
  }
}
