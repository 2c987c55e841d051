import { DomainError } from '../errors/domain.error';
import { bodyTooLargeDetail } from './json-body.middleware';

/** A body that turned out larger than the limit while it was read (chunked, or decompressed). */
export class BodyTooLargeError extends DomainError {
  readonly status = 413;

  constructor(limitBytes: number) {
    super(bodyTooLargeDetail(limitBytes));
  }
}
