import { DomainError } from '../../common/errors/domain.error';

/** A rename with on_conflict=reject into a session the caller already has messages in. */
export class SessionAlreadyExistsError extends DomainError {
  readonly status = 409;

  constructor(sessionId: string) {
    super(`Session already exists: ${sessionId}`);
  }
}
