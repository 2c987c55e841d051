import { DomainError } from '../../../common/errors/domain.error';
import { bodyTooLargeDetail } from '../../../common/http/body-too-large.error';

/** 413: a protobuf body (after decompression) over BODY_LIMIT_BYTES. */
export class OtlpBodyTooLargeError extends DomainError {
  readonly status = 413;
  override readonly headers = { Connection: 'close' };

  constructor(limitBytes: number) {
    super(bodyTooLargeDetail(limitBytes));
  }
}
