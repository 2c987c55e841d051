import { DomainError } from '../../common/errors/domain.error';

export class UserNotFoundError extends DomainError {
  readonly status = 404;

  constructor(username: string) {
    super(`User not found: ${username}`);
  }
}
