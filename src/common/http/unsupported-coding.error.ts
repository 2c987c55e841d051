import { DomainError } from '../errors/domain.error';
import { ACCEPTED_CONTENT_CODINGS, UNSUPPORTED_CODING_DETAIL } from './content-encoding';

/** 415: a body in a Content-Encoding the service does not take (or in more than one). */
export class UnsupportedCodingError extends DomainError {
  readonly status = 415;
  override readonly headers = { 'Accept-Encoding': ACCEPTED_CONTENT_CODINGS };

  constructor() {
    super(UNSUPPORTED_CODING_DETAIL);
  }
}
