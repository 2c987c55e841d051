import { DomainError } from '../../../common/errors/domain.error';

export class TransactionAlreadyExistsError extends DomainError {
  readonly status = 409;

  constructor(id: string) {
    super(`Transaction already exists: ${id}`);
  }
}
