import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import { RequestValidationError } from '../validation/request-validation.error';
import { MALFORMED_PATH_SEGMENTS, RequestWithMalformedPath } from './malformed-path.middleware';

/**
 * Answers a path parameter that was not valid percent-encoding with a 422 in the contract's
 * shape, after the guards have run (see malformedPathMiddleware).
 */
@Injectable()
export class MalformedPathInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<RequestWithMalformedPath>();
    const segments = request[MALFORMED_PATH_SEGMENTS];
    if (segments !== undefined) {
      const params = Object.entries((request.params ?? {}) as Record<string, string>);
      const named = params.filter(([, value]) => segments.includes(value));
      const places = named.length > 0 ? named : [[undefined, segments[0]] as const];
      throw new RequestValidationError(
        places.map(([name, raw]) => ({
          type: 'value_error',
          loc: name === undefined ? ['path'] : ['path', name],
          msg: 'Value error, not valid percent-encoding',
          input: raw,
        })),
      );
    }
    return next.handle();
  }
}
