import { DomainError } from '../../../common/errors/domain.error';

/** 415: OTLP/HTTP bodies come as application/x-protobuf or application/json only. */
export class OtlpUnsupportedTypeError extends DomainError {
  readonly status = 415;

  constructor() {
    super(
      'Request body must be application/x-protobuf or application/json, ' +
        'optionally with Content-Encoding gzip',
    );
  }
}
