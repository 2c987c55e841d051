import { DomainError } from '../../../common/errors/domain.error';

export class SpanAlreadyExistsError extends DomainError {
  readonly status = 409;

  constructor(id: string) {
    super(`Span already exists: ${id}`);
  }
}
