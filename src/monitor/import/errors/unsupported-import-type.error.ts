import { DomainError } from '../../../common/errors/domain.error';

export class UnsupportedImportTypeError extends DomainError {
  readonly status = 415;

  constructor() {
    super('Request body must be NDJSON (application/x-ndjson), one message a line');
  }
}
