import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Observable } from 'rxjs';
import { AuthenticatedRequest } from '../../auth/current-user.decorator';
import type { Replica } from './replica-monitor';

/** What the database layer knows of the request it works for. */
export interface RequestCaller {
  /** The API key the request came with (read-your-writes is kept per key); none on public routes. */
  apiKeyId: string | undefined;
  /**
   * Where this request's reads go, chosen at its first read and kept for the others, so that one
   * answer is read from one server's history.
   */
  readTarget?: Replica | 'primary';
}

const callers = new AsyncLocalStorage<RequestCaller>();

/** The caller of the request being served here, if any (background work has none). */
export function currentCaller(): RequestCaller | undefined {
  return callers.getStore();
}

/** Runs `work` for `caller` (the interceptor does it for every request; tests for their own). */
export function withCaller<T>(caller: RequestCaller, work: () => T): T {
  return callers.run(caller, work);
}

/**
 * Runs each route handler (after the API key guard has found the caller) with its caller in
 * reach of the database layer, which has no request of its own: TransactionRunner remembers a
 * write's position for the key, the read path reads where that key's writes already are.
 */
@Injectable()
export class RequestCallerInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const caller: RequestCaller = { apiKeyId: request.user?.apiKeyId };
    // The handler runs when the answer is subscribed to: subscribe inside the caller's context.
    return new Observable((subscriber) =>
      withCaller(caller, () => next.handle().subscribe(subscriber)),
    );
  }
}
