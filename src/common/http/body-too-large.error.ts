import { DomainError } from '../errors/domain.error';

/** A body that turned out larger than the limit while it was read (chunked, or decompressed). */
export class BodyTooLargeError extends DomainError {
  readonly status = 413;

  constructor(limitBytes: number) {
    super(bodyTooLargeDetail(limitBytes));
  }
}

/** The 413 sentence: the limit in MiB when it is a whole number of them. */
export function bodyTooLargeDetail(limitBytes: number): string {
  const mib = limitBytes / 1024 / 1024;
  const limit = Number.isInteger(mib) ? `${mib} MiB` : `${limitBytes} bytes`;
  return `Request body too large: the limit is ${limit}`;
}
