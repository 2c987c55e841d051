import { BODY_CONTENT_ENCODINGS } from '../../../common/http/content-encoding';
import { DomainError } from '../../../common/errors/domain.error';

export class UnsupportedImportEncodingError extends DomainError {
  readonly status = 415;

  constructor() {
    const encodings = BODY_CONTENT_ENCODINGS.join(', ').replace(/, (?=[^,]*$)/, ' or ');
    super(`Request body must be sent as it is or with Content-Encoding ${encodings}`);
  }
}
