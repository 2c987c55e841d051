import { Controller, HttpCode, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiResponse,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { Request, Response } from 'express';
import { AuthenticatedUser } from '../../../auth/authenticated-user';
import { CurrentUser } from '../../../auth/current-user.decorator';
import { APP_CONFIG } from '../../../config/app-config.token';
import { AppConfig } from '../../../config/app.config';
import { OtlpUnsupportedTypeError } from '../errors/otlp-unsupported-type.error';
import { readRawBody } from './otlp-body';
import {
  decodeJsonRequest,
  decodeProtobufRequest,
  encodeExportResponse,
  OtlpEncoding,
  PROTOBUF_TYPES,
} from './otlp-codec';
import { OtlpExceptionFilter } from './otlp-exception.filter';
import { OtlpIngestService } from './otlp-ingest.service';
import { OTLP_TRACES_PATH } from './otlp-route';

const REQUEST_EXAMPLE = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'langflow' } }] },
      scopeSpans: [
        {
          scope: { name: 'langflow.services.tracing.otlp' },
          spans: [
            {
              traceId: '5b8efff798038103d269b633813fc60c',
              spanId: 'eee19b7ec3c1b174',
              name: 'Basic Prompting - 9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d',
              kind: 1,
              startTimeUnixNano: '1795525740000000000',
              endTimeUnixNano: '1795525741000000000',
              attributes: [
                { key: 'langflow.session_id', value: { stringValue: 'session-42' } },
                { key: 'outputs', value: { stringValue: '{"message": "Hi!"}' } },
              ],
              status: { code: 0 },
            },
          ],
        },
      ],
    },
  ],
};

const STATUS_BODY = {
  'application/json': {
    schema: {
      type: 'object',
      description: 'google.rpc.Status (OTLP/JSON), with the usual `detail` beside.',
      properties: {
        code: { type: 'integer', description: 'gRPC status code' },
        message: { type: 'string' },
        detail: { type: 'string' },
      },
    },
  },
  'application/x-protobuf': {
    schema: { type: 'string', format: 'binary', description: 'google.rpc.Status' },
  },
};

/** OTLP/HTTP's trace export path: outside /api/v1, so that an exporter's base URL is the service's. */
@ApiTags('Traces')
@ApiSecurity('api_key')
@Controller(OTLP_TRACES_PATH)
@UseFilters(OtlpExceptionFilter)
export class OtlpController {
  private readonly bodyLimitBytes: number;

  constructor(
    private readonly ingest: OtlpIngestService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.bodyLimitBytes = config.bodyLimitBytes;
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Receive spans over OTLP/HTTP',
    description:
      "OpenTelemetry's OTLP/HTTP trace export: point an exporter's OTEL_EXPORTER_OTLP_ENDPOINT " +
      'at the service and give it the API key in OTEL_EXPORTER_OTLP_HEADERS (x-api-key=...) or ' +
      'as a Bearer token. The spans become traces readable through the routes of this tag ' +
      '(README, "Traces", for the mapping). A batch sent again stores nothing twice. Spans of a ' +
      "trace whose flow no span has named yet are held until one does (another user's flow " +
      'refuses the whole trace) or OTLP_HELD_SPAN_SECONDS pass, at most OTLP_MAX_HELD_SPANS a ' +
      'user (more are refused in partialSuccess). Errors are a google.rpc.Status ' +
      "in the request's encoding; 429 and 503 carry Retry-After.",
    requestBody: {
      required: true,
      description:
        'ExportTraceServiceRequest (opentelemetry-proto collector/trace/v1), as protobuf or as ' +
        'OTLP/JSON (lowerCamelCase fields, hex trace and span ids, enums as integers, 64-bit ' +
        'integers as decimal strings or numbers). Content-Encoding gzip is accepted.',
      content: {
        'application/x-protobuf': {
          schema: { type: 'string', format: 'binary', description: 'ExportTraceServiceRequest' },
        },
        'application/json': {
          schema: {
            type: 'object',
            properties: {
              resourceSpans: {
                type: 'array',
                items: { type: 'object', additionalProperties: true },
              },
            },
          },
          example: REQUEST_EXAMPLE,
        },
      },
    },
  })
  @ApiProduces('application/x-protobuf', 'application/json')
  @ApiOkResponse({
    description:
      "ExportTraceServiceResponse in the request's encoding; `partialSuccess` counts and " +
      "explains the spans refused outright (invalid ids or times, another user's flow, over " +
      'the per-request limit).',
    content: {
      'application/json': {
        schema: {
          type: 'object',
          properties: {
            partialSuccess: {
              type: 'object',
              properties: {
                rejectedSpans: { type: 'string', example: '1' },
                errorMessage: { type: 'string' },
              },
            },
          },
          example: {
            partialSuccess: {
              rejectedSpans: '1',
              errorMessage: '1 refused: a span without a valid span id (8 bytes, not all zero)',
            },
          },
        },
      },
      'application/x-protobuf': {
        schema: { type: 'string', format: 'binary', description: 'ExportTraceServiceResponse' },
      },
    },
  })
  @ApiResponse({ status: 400, description: 'The body does not decode.', content: STATUS_BODY })
  @ApiResponse({ status: 403, description: 'No API key, or a wrong one.', content: STATUS_BODY })
  @ApiResponse({
    status: 413,
    description: 'The body is over BODY_LIMIT_BYTES.',
    content: STATUS_BODY,
  })
  @ApiResponse({
    status: 415,
    description: 'Another content type or encoding.',
    content: STATUS_BODY,
  })
  @ApiResponse({
    status: 429,
    description: 'Throttled; Retry-After says when to retry.',
    content: STATUS_BODY,
  })
  @ApiResponse({
    status: 503,
    description: 'The database is unreachable; retry after Retry-After.',
    content: STATUS_BODY,
  })
  async export(
    @CurrentUser() user: AuthenticatedUser,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    let encoding: OtlpEncoding;
    let read;
    if (request.is(PROTOBUF_TYPES)) {
      encoding = 'protobuf';
      read = decodeProtobufRequest(await readRawBody(request, this.bodyLimitBytes));
    } else if (request.is('application/json')) {
      encoding = 'json';
      read = decodeJsonRequest(request.body);
    } else {
      throw new OtlpUnsupportedTypeError();
    }
    const result = await this.ingest.ingest(user, read);
    response
      .status(200)
      .type(encoding === 'json' ? 'application/json' : 'application/x-protobuf')
      .send(encodeExportResponse(encoding, result.rejectedSpans, result.errorMessage));
  }
}
