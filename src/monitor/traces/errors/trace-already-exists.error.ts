import { DomainError } from '../../../common/errors/domain.error';

export class TraceAlreadyExistsError extends DomainError {
  readonly status = 409;

  constructor(id: string) {
    super(`Trace already exists: ${id}`);
  }
}
