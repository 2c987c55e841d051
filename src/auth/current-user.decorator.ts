import { ExecutionContext, createParamDecorator } from '@nestjs/common';
import { Request } from 'express';
import { AuthenticatedUser } from './authenticated-user';

export type AuthenticatedRequest = Request & { user?: AuthenticatedUser };

/** The caller, as authenticated by ApiKeyGuard. */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthenticatedUser => {
    const user = context.switchToHttp().getRequest<AuthenticatedRequest>().user;
    if (!user) {
      throw new Error('CurrentUser used on a route that ApiKeyGuard did not authenticate');
    }
    return user;
  },
);
