import { DomainError } from '../../common/errors/domain.error';

export class UserAlreadyExistsError extends DomainError {
  readonly status = 409;

  constructor(username: string) {
    super(`User already exists: ${username}`);
  }
}
