import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { Request, Response } from 'express';
import { DomainError } from '../../../common/errors/domain.error';
import { RequestValidationError } from '../../../common/validation/request-validation.error';
import { isDatabaseUnavailable } from '../../../database/database-errors';
import { encodeErrorStatus, OtlpEncoding, PROTOBUF_TYPES } from './otlp-codec';

/** gRPC codes for google.rpc.Status, by HTTP status (OTLP/HTTP's error bodies). */
const GRPC_CODES: Record<number, number> = {
  400: 3, // INVALID_ARGUMENT
  401: 16, // UNAUTHENTICATED
  403: 7, // PERMISSION_DENIED
  404: 5, // NOT_FOUND
  405: 12, // UNIMPLEMENTED
  413: 8, // RESOURCE_EXHAUSTED
  415: 3,
  429: 8,
  503: 14, // UNAVAILABLE
};

/** Seconds an exporter is asked to wait before retrying while the database is unreachable. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/**
 * The receiver's errors as OTLP/HTTP wants them: a google.rpc.Status in the request's encoding
 * (protobuf, or JSON with `detail` beside), with the HTTP status of the rest of the API, except
 * that a JSON body that does not parse is a 400 (OTLP's "bad data", not retried) rather than the
 * 422 of the other routes. 429 and 503 carry Retry-After, which OTLP exporters honour. The global
 * ApiExceptionFilter hands over what refuses a request to this path before its route runs.
 */
@Catch()
export class OtlpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('OTLP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<Request>();
    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent) {
      response.destroy();
      return;
    }
    const { status, message, headers } = this.describe(exception);
    const encoding: OtlpEncoding = request.is(PROTOBUF_TYPES) ? 'protobuf' : 'json';
    for (const [name, value] of Object.entries(headers)) {
      response.setHeader(name, value);
    }
    response
      .status(status)
      .type(encoding === 'json' ? 'application/json' : 'application/x-protobuf')
      .send(encodeErrorStatus(encoding, GRPC_CODES[status] ?? 13, message));
  }

  private describe(exception: unknown): {
    status: number;
    message: string;
    headers: Readonly<Record<string, string>>;
  } {
    if (exception instanceof RequestValidationError) {
      const issue = exception.issues[0];
      return { status: 400, message: issue ? issue.msg : 'Invalid request', headers: {} };
    }
    if (exception instanceof DomainError) {
      return { status: exception.status, message: exception.detail, headers: exception.headers };
    }
    if (exception instanceof HttpException) {
      return { status: exception.getStatus(), message: exception.message, headers: {} };
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(`database unavailable: ${(exception as Error).message}`);
      return {
        status: 503,
        message: 'Database unavailable',
        headers: { 'Retry-After': String(UNAVAILABLE_RETRY_AFTER_SECONDS) },
      };
    }
    this.logger.error(
      exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
    );
    return { status: 500, message: 'Internal server error', headers: {} };
  }
}
