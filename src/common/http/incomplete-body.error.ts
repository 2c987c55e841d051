import { DomainError } from '../errors/domain.error';

/**
 * The connection closed before the body ended. Nobody is left to read the answer; it exists so
 * that the request ends as a 400 in the log instead of waiting forever.
 */
export class IncompleteBodyError extends DomainError {
  readonly status = 400;

  constructor() {
    super('Request body incomplete: the connection closed before it ended');
  }
}
