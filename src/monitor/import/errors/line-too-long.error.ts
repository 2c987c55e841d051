/** A line longer than the reader's bound: it is not held, only reported. */
export class LineTooLongError extends Error {
  constructor(readonly lineNumber: number) {
    super(`line ${lineNumber} is too long`);
    this.name = 'LineTooLongError';
  }
}
