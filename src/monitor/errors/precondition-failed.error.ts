import { DomainError } from '../../common/errors/domain.error';

/** The message changed since the caller read it (its ETag no longer matches If-Match). */
export class PreconditionFailedError extends DomainError {
  readonly status = 412;

  constructor() {
    super('Precondition failed');
  }
}
