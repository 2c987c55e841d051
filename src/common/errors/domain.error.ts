/**
 * An error the service means to tell the caller about. Services throw subclasses; one exception
 * filter turns them into `{"detail": ...}` with their status.
 */
export abstract class DomainError extends Error {
  abstract readonly status: number;

  constructor(readonly detail: string) {
    super(detail);
    this.name = new.target.name;
  }
}
