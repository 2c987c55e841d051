import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiKeyService } from './api-key.service';
import { AuthenticatedRequest } from './current-user.decorator';
import { InvalidApiKeyError } from './errors/invalid-api-key.error';
import { MissingApiKeyError } from './errors/missing-api-key.error';
import { IS_PUBLIC } from './public.decorator';
import { RequestThrottle } from './request-throttle.service';

export const API_KEY_HEADER = 'x-api-key';

/** The key a request carries: `x-api-key` header, `?x-api-key=`, or `Authorization: Bearer`. */
export function extractApiKey(request: AuthenticatedRequest): string | undefined {
  const header = request.headers[API_KEY_HEADER];
  if (typeof header === 'string' && header !== '') {
    return header;
  }
  const query = (request.query as Record<string, unknown> | undefined)?.[API_KEY_HEADER];
  if (typeof query === 'string' && query !== '') {
    return query;
  }
  const authorization = request.headers.authorization;
  const bearer = authorization && /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return bearer ? bearer[1] : undefined;
}

/**
 * Authenticates every route not marked @Public. Guards run before pipes, so a request without
 * a valid key is refused (403) before its parameters are looked at. Wrong keys from a client
 * address with too many failed authentications, or a key past its request rate, get 429; a valid
 * key from that address still passes.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeyService,
    private readonly throttle: RequestThrottle,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) {
      return true;
    }
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const key = extractApiKey(request);
    if (key === undefined) {
      throw new MissingApiKeyError();
    }
    // Express's idea of the client, which believes X-Forwarded-For only from TRUSTED_PROXIES.
    const address = request.ip ?? request.socket.remoteAddress ?? 'unknown';
    this.throttle.refuseIfKnownWrong(address, key);
    const user = await this.apiKeys.authenticate(key);
    if (!user) {
      await this.throttle.recordFailure(address, key);
      throw new InvalidApiKeyError();
    }
    await this.throttle.countRequest(user.apiKeyId);
    request.user = user;
    return true;
  }
}
