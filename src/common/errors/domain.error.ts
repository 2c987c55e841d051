/**
 * An error the service means to tell the caller about. Services throw subclasses; one exception
 * filter turns them into `{"detail": ...}` with their status.
 */
export abstract class DomainError extends Error {
  abstract readonly status: number;
  /** Headers the answer carries besides its body (e.g. Retry-After). */
  readonly headers: Readonly<Record<string, string>> = {};

  constructor(readonly detail: string) {
    super(detail);
    this.name = new.target.name;
  }
}
