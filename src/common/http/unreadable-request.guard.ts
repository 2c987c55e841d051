import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { RequestValidationError } from '../validation/request-validation.error';
import { readJsonBody } from './json-body-reader';
import { BODY_PARSE_ERROR, PENDING_JSON_BODY, RequestWithParseError } from './json-body.middleware';
import { MALFORMED_PATH_SEGMENTS, RequestWithMalformedPath } from './malformed-path.middleware';

type RememberedRequest = RequestWithParseError & RequestWithMalformedPath;

/**
 * Reads the JSON body jsonBodyParser left for later, and answers with a 422 in the contract's
 * shape a request whose path parameter was not valid percent-encoding (malformedPathMiddleware)
 * or whose body could not be taken as JSON: malformed, nested too deep, or not valid in its
 * Content-Encoding. This guard runs after the API-key guard (the order is set in AppModule):
 * authentication comes before the body is read, and before validation.
 *
 * A guard and not an interceptor: with no interceptor at all, Nest calls the handler directly
 * instead of through an rxjs pipeline with two AsyncResource bindings per interceptor, which
 * cost a small request more than anything else in the framework.
 */
@Injectable()
export class UnreadableRequestGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const request = context.switchToHttp().getRequest<RememberedRequest>();
    const segments = request[MALFORMED_PATH_SEGMENTS];
    if (segments !== undefined) {
      throw malformedPathError(request, segments);
    }
    const pending = request[PENDING_JSON_BODY];
    if (pending !== undefined) {
      request[PENDING_JSON_BODY] = undefined;
      return readJsonBody(request, pending).then(() => judgeBody(request));
    }
    return judgeBody(request);
  }
}

function judgeBody(request: RememberedRequest): boolean {
  const problem = request[BODY_PARSE_ERROR];
  if (problem !== undefined) {
    throw new RequestValidationError([problem]);
  }
  return true;
}

/** The 422 naming each path parameter that held a malformed segment (or the path itself). */
function malformedPathError(
  request: RememberedRequest,
  segments: string[],
): RequestValidationError {
  const params = Object.entries((request.params ?? {}) as Record<string, string>);
  const named = params.filter(([, value]) => segments.includes(value));
  const places = named.length > 0 ? named : [[undefined, segments[0]] as const];
  return new RequestValidationError(
    places.map(([name, raw]) => ({
      type: 'value_error',
      loc: name === undefined ? ['path'] : ['path', name],
      msg: 'Value error, not valid percent-encoding',
      input: raw,
    })),
  );
}
