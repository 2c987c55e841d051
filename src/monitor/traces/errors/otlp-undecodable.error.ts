import { DomainError } from '../../../common/errors/domain.error';

/** 400, as OTLP/HTTP answers a body that does not decode as an ExportTraceServiceRequest. */
export class OtlpUndecodableError extends DomainError {
  readonly status = 400;

  constructor(reason: string) {
    super(`Request body is not an ExportTraceServiceRequest: ${reason}`);
  }
}
