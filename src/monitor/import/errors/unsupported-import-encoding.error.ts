import { UNSUPPORTED_CODING_DETAIL } from '../../../common/http/content-encoding';
import { DomainError } from '../../../common/errors/domain.error';

/** The JSON body middleware answers this first; kept for an upload read without it. */
export class UnsupportedImportEncodingError extends DomainError {
  readonly status = 415;

  constructor() {
    super(UNSUPPORTED_CODING_DETAIL);
  }
}
