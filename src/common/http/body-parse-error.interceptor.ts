import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import { RequestValidationError } from '../validation/request-validation.error';
import { BODY_PARSE_ERROR, RequestWithParseError } from './json-body.middleware';

/**
 * Answers a body that could not be taken as JSON (malformed, or nested too deep) with a 422,
 * after the guards have run.
 */
@Injectable()
export class BodyParseErrorInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<RequestWithParseError>();
    const problem = request[BODY_PARSE_ERROR];
    if (problem !== undefined) {
      throw new RequestValidationError([problem]);
    }
    return next.handle();
  }
}
