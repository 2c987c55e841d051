import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import { RequestValidationError } from '../validation/request-validation.error';
import { BODY_PARSE_ERROR, RequestWithParseError } from './json-body.middleware';

/** Answers a malformed JSON body with FastAPI's `json_invalid`, after the guards have run. */
@Injectable()
export class BodyParseErrorInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<RequestWithParseError>();
    const problem = request[BODY_PARSE_ERROR];
    if (problem !== undefined) {
      throw new RequestValidationError([
        { type: 'json_invalid', loc: ['body'], msg: 'JSON decode error', input: null },
      ]);
    }
    return next.handle();
  }
}
