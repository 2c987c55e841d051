import { DomainError } from '../../common/errors/domain.error';

export class MessageAlreadyExistsError extends DomainError {
  readonly status = 409;

  constructor(id: string) {
    super(`Message already exists: ${id}`);
  }
}
