import { DomainError } from '../../common/errors/domain.error';

export class InvalidApiKeyError extends DomainError {
  readonly status = 403;

  constructor() {
    super('Invalid or missing API key');
  }
}
