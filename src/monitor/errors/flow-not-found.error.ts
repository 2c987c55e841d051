import { DomainError } from '../../common/errors/domain.error';

/** The flow belongs to another user (indistinguishable from a missing one). */
export class FlowNotFoundError extends DomainError {
  readonly status = 404;

  constructor() {
    super('Flow not found');
  }
}
