import { DomainError } from '../../common/errors/domain.error';

/** 429 with Retry-After: too many failed authentications, or too many requests for one key. */
export class TooManyRequestsError extends DomainError {
  readonly status = 429;
  override readonly headers: Readonly<Record<string, string>>;

  constructor(what: string, retryAfterSeconds: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super(`${what}: try again in ${seconds} second${seconds === 1 ? '' : 's'}`);
    this.headers = { 'Retry-After': String(seconds) };
  }
}
