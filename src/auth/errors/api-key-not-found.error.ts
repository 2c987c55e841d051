import { DomainError } from '../../common/errors/domain.error';

export class ApiKeyNotFoundError extends DomainError {
  readonly status = 404;

  constructor() {
    super('API key not found');
  }
}
