import { DomainError } from '../../common/errors/domain.error';

export class MissingApiKeyError extends DomainError {
  readonly status = 403;

  constructor() {
    super('An API key must be passed as query or header');
  }
}
