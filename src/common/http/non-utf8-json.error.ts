import { DomainError } from '../errors/domain.error';

/** 415: a JSON body whose Content-Type names a charset other than UTF-8. */
export class NonUtf8JsonError extends DomainError {
  readonly status = 415;

  constructor() {
    super('Request body must be UTF-8 JSON');
  }
}
