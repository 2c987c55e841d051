import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
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
import { ListBodyPipe } from '../../common/validation/list-body.pipe';
import { BuildsService, MAX_BUILDS_PER_READ } from './builds.service';
import { BuildsQueryDto } from './dto/builds.query.dto';
import { CreateVertexBuildDto } from './dto/create-vertex-build.dto';
import { VertexBuildMapDto } from './dto/vertex-build-map.dto';
import { VertexBuildResponseDto } from './dto/vertex-build-response.dto';

export const MAX_BUILD_BATCH = 1000;

const FLOW_ID_MISSING = issueExample('flow_id missing', {
  type: 'missing',
  loc: ['query', 'flow_id'],
  msg: 'Field required',
  input: null,
});

@ApiTags('Monitor')
@ApiSecurity('api_key')
@Controller('api/v1/monitor/builds')
export class BuildsController {
  constructor(private readonly builds: BuildsService) {}

  @Get()
  @ApiOperation({
    summary: 'Get Vertex Builds',
    description:
      "The newest build of each vertex (component) of one of the caller's flows, keyed by vertex " +
      'id, vertices ordered by that timestamp ascending; two builds of one vertex with the same ' +
      `newest timestamp both appear. At most ${MAX_BUILDS_PER_READ} builds. A flow that is not the caller's, or ` +
      'that was never seen, answers an empty map (never 404: the answer does not reveal whether a ' +
      'flow exists).',
  })
  @ApiOkResponse({
    type: VertexBuildMapDto,
    description: 'The newest builds by vertex id; `{"vertex_builds":{}}` when there are none.',
  })
  @ApiErrors({
    validation: {
      ...FLOW_ID_MISSING,
      ...malformedUuidExample('Invalid flow_id', ['query', 'flow_id']),
    },
  })
  async getBuilds(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: BuildsQueryDto,
  ): Promise<StreamableFile> {
    return jsonTextResponse(await this.builds.newestOfEachVertex(user.id, query.flow_id));
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete Vertex Builds',
    description:
      "Deletes every build of one of the caller's flows. Idempotent; a flow that is not the " +
      "caller's answers 204 too, and nothing of it is touched.",
  })
  @ApiNoContentResponse({ description: 'Done; the flow has no builds of yours any more.' })
  @ApiErrors({
    validation: {
      ...FLOW_ID_MISSING,
      ...malformedUuidExample('Invalid flow_id', ['query', 'flow_id']),
    },
  })
  async deleteBuilds(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: BuildsQueryDto,
  ): Promise<void> {
    await this.builds.deleteForFlow(user.id, query.flow_id);
  }

  @Post()
  @ApiOperation({
    summary: 'Add Vertex Builds',
    description:
      'Stores 1 to 1000 builds at once, all or nothing, and answers them in the input order. An ' +
      'extension: Langflow writes builds from its own flow runs. A flow id never seen before ' +
      "becomes the caller's flow. Each flow is then trimmed to the newest " +
      '`MAX_VERTEX_BUILDS_PER_VERTEX` builds per vertex and `MAX_VERTEX_BUILDS_TO_KEEP` per flow.',
  })
  @ApiBody({
    type: CreateVertexBuildDto,
    isArray: true,
    description: '1 to 1000 builds; unknown fields are refused.',
    examples: {
      chat: {
        summary: 'Two components of one run',
        value: [
          {
            id: 'ChatInput-NCmix',
            flow_id: '9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d',
            valid: true,
            timestamp: '2026-11-24T13:09:00.123Z',
            data: { results: { message: 'Hello' } },
          },
          {
            id: 'OpenAIModel-2kd9x',
            flow_id: '9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d',
            valid: false,
            timestamp: '2026-11-24T13:09:01.456Z',
            params: 'Error building Component OpenAIModel: invalid key',
          },
        ],
      },
    },
  })
  @ApiCreatedResponse({
    type: VertexBuildResponseDto,
    isArray: true,
    description: "The stored builds, in the input's order.",
  })
  @ApiErrors({
    notFound: 'Flow not found',
    conflict: 'Vertex build already exists: 0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b',
    validation: {
      ...emptyListExample(),
      ...issueExample('Missing field', {
        type: 'missing',
        loc: ['body', 0, 'valid'],
        msg: 'Field required',
        input: null,
      }),
      ...unknownFieldExample(['body', 0, 'colour']),
    },
    extra: [BODY_TOO_LARGE_ERROR],
  })
  async addBuilds(
    @CurrentUser() user: AuthenticatedUser,
    @Body(new ListBodyPipe(CreateVertexBuildDto, { min: 1, max: MAX_BUILD_BATCH }))
    items: CreateVertexBuildDto[],
  ): Promise<StreamableFile> {
    return jsonArrayResponse(await this.builds.ingest(user, items));
  }
}
