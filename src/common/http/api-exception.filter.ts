import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
  MethodNotAllowedException,
  NotFoundException,
} from '@nestjs/common';
import { Request, Response } from 'express';
import { isDatabaseUnavailable } from '../../database/database-errors';
import { OtlpExceptionFilter } from '../../monitor/traces/otlp/otlp-exception.filter';
import { isOtlpRequest } from '../../monitor/traces/otlp/otlp-route';
import { DomainError } from '../errors/domain.error';
import { boundedEcho, boundedText } from '../validation/bounded-echo';
import { RequestValidationError, ValidationIssue } from '../validation/request-validation.error';
import { allowedMethods } from './allowed-methods';

/** Details for Nest's own HTTP errors, worded as FastAPI words them. */
const HTTP_DETAILS: Partial<Record<number, string>> = {
  [HttpStatus.NOT_FOUND]: 'Not Found',
  [HttpStatus.METHOD_NOT_ALLOWED]: 'Method Not Allowed',
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'Request body too large',
};

/**
 * The one place where errors become HTTP answers: `{"detail": ...}` always; validation issues as
 * FastAPI's list; 503 while the database is unreachable; 500 for anything else, with the details
 * kept in the log and never in the answer. It cannot fail itself: whatever goes wrong while
 * answering ends in the plain 500 (or a cut connection once the answer has started). The one
 * exception is the OTLP receiver's path: whatever refuses a request there (the body's headers
 * before any route, a wrong method) answers in OTLP's shape, a google.rpc.Status
 * (OtlpExceptionFilter), with the same status and headers.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');
  private readonly otlp = new OtlpExceptionFilter();

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    try {
      this.answer(exception, host, response);
    } catch (failure) {
      this.logger.error(`could not answer an error: ${String(failure)}`);
      if (response.headersSent) {
        response.destroy();
        return;
      }
      response.statusCode = HttpStatus.INTERNAL_SERVER_ERROR;
      response.setHeader('Content-Type', 'application/json; charset=utf-8');
      response.end('{"detail":"Internal server error"}');
    }
  }

  private answer(exception: unknown, host: ArgumentsHost, response: Response): void {
    const request = host.switchToHttp().getRequest<Request>();
    const allowed = this.isUnmatchedRoute(exception, request) ? allowedMethods(request) : [];
    if (isOtlpRequest(request)) {
      if (allowed.length > 0 && !response.headersSent) {
        response.setHeader('Allow', allowed.join(', '));
        this.otlp.catch(new MethodNotAllowedException(HTTP_DETAILS[405]), host);
        return;
      }
      this.otlp.catch(exception, host);
      return;
    }
    const { status, body } = this.describe(exception);
    if (response.headersSent) {
      // A streamed answer failed half-way: the only honest signal left is a cut connection.
      response.destroy();
      return;
    }
    if (allowed.length > 0) {
      response.setHeader('Allow', allowed.join(', '));
      response.status(HttpStatus.METHOD_NOT_ALLOWED).json({ detail: 'Method Not Allowed' });
      return;
    }
    if (exception instanceof DomainError) {
      for (const [name, value] of Object.entries(exception.headers)) {
        response.setHeader(name, value);
      }
    }
    response.status(status).json(body);
  }

  /** Nest's answer when no route took the request (its wording is the only sign of it). */
  private isUnmatchedRoute(exception: unknown, request: Request): boolean {
    return (
      exception instanceof NotFoundException &&
      exception.message === `Cannot ${request.method} ${request.originalUrl}`
    );
  }

  private describe(exception: unknown): { status: number; body: object } {
    if (exception instanceof RequestValidationError) {
      return {
        status: HttpStatus.UNPROCESSABLE_ENTITY,
        body: { detail: exception.issues.map(boundedIssue) },
      };
    }
    if (exception instanceof DomainError) {
      return { status: exception.status, body: { detail: exception.detail } };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const answer = exception.getResponse();
      const detail =
        typeof answer === 'object' && answer !== null && 'detail' in answer
          ? answer.detail
          : (HTTP_DETAILS[status] ?? boundedText(exception.message));
      return { status, body: { detail } };
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(`database unavailable: ${(exception as Error).message}`);
      return { status: HttpStatus.SERVICE_UNAVAILABLE, body: { detail: 'Database unavailable' } };
    }
    this.logger.error(
      exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
    );
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, body: { detail: 'Internal server error' } };
  }
}

/** An issue as answered: its echo of the input, and any key of the input in `loc`, bounded. */
function boundedIssue(issue: ValidationIssue): ValidationIssue {
  return {
    type: issue.type,
    loc: issue.loc.map((part) => (typeof part === 'string' ? boundedText(part) : part)),
    msg: boundedText(issue.msg, 1024),
    input: boundedEcho(issue.input),
  };
}
