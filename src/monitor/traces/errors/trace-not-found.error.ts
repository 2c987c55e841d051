import { DomainError } from '../../../common/errors/domain.error';

/** No such trace, or another user's (indistinguishable). */
export class TraceNotFoundError extends DomainError {
  readonly status = 404;

  constructor() {
    super('Trace not found');
  }
}
