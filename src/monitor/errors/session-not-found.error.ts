import { DomainError } from '../../common/errors/domain.error';

/** The caller has no message in that session (it may be someone else's: the answer is the same). */
export class SessionNotFoundError extends DomainError {
  readonly status = 404;

  constructor() {
    super('No messages found with the given session ID');
  }
}
