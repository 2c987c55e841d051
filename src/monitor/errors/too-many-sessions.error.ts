import { DomainError } from '../../common/errors/domain.error';

export const MAX_SESSIONS_PER_DELETE = 500;

/** A bulk session delete over the limit; Langflow answers it with this 400. */
export class TooManySessionsError extends DomainError {
  readonly status = 400;

  constructor() {
    super(
      `Cannot delete more than ${MAX_SESSIONS_PER_DELETE} sessions at once. Please batch your requests.`,
    );
  }
}
