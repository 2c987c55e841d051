import { DomainError } from '../../common/errors/domain.error';

/** No such message among the caller's (someone else's answers the same). */
export class MessageNotFoundError extends DomainError {
  readonly status = 404;

  constructor() {
    super('Message not found');
  }
}
