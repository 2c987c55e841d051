import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Response } from 'express';
import { Public } from '../auth/public.decorator';
import { ApiBodyParserErrors } from '../common/openapi/api-errors.decorator';
import { HealthService } from './health.service';

@ApiTags('Health')
@Public()
@ApiBodyParserErrors()
@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('health')
  @ApiOperation({
    summary: 'Health',
    description: 'Liveness: the process answers. Needs no API key and does not touch the database.',
  })
  @ApiOkResponse({
    description: 'The service is up.',
    schema: {
      type: 'object',
      required: ['status'],
      properties: { status: { type: 'string', enum: ['ok'] } },
    },
    example: { status: 'ok' },
  })
  liveness(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('health_check')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Health Check',
    description: 'Readiness: the service and its database both answer. Needs no API key.',
  })
  @ApiOkResponse({
    description: 'The service and its database are up.',
    schema: {
      type: 'object',
      required: ['status', 'db'],
      properties: {
        status: { type: 'string', enum: ['ok'] },
        db: { type: 'string', enum: ['ok'] },
      },
    },
    example: { status: 'ok', db: 'ok' },
  })
  @ApiServiceUnavailableResponse({
    description:
      'The database cannot be reached; the service recovers by itself when it comes back.',
    schema: {
      type: 'object',
      required: ['status', 'db'],
      properties: {
        status: { type: 'string', enum: ['error'] },
        db: { type: 'string', enum: ['error'] },
      },
    },
    example: { status: 'error', db: 'error' },
  })
  async readiness(
    @Res({ passthrough: true }) response: Response,
  ): Promise<{ status: string; db: string }> {
    const ok = await this.health.ready();
    if (!ok) {
      response.status(503);
      return { status: 'error', db: 'error' };
    }
    return { status: 'ok', db: 'ok' };
  }
}
