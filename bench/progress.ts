const BAR_WIDTH = 28;

/**
 * A one-line progress bar on standard error. On a terminal it redraws in place; otherwise (a CI
 * log, a file) it prints a line whenever the step label changes, so logs stay short.
 */
export class ProgressBar {
  private done = 0;
  private label = '';
  private readonly startedAt = Date.now();
  private readonly interactive = process.stderr.isTTY === true;
  private lastPrinted = '';

  constructor(private total: number) {}

  /** Adds work discovered on the way (e.g. a contender allowed more runs than planned). */
  grow(steps: number): void {
    this.total += steps;
    this.draw();
  }

  /** Names the step now under way without counting it as done. */
  status(label: string): void {
    this.label = label;
    this.draw();
  }

  tick(steps = 1): void {
    this.done = Math.min(this.total, this.done + steps);
    this.draw();
  }

  /** Prints a line above the bar (a finding worth keeping in the log). */
  note(message: string): void {
    this.clear();
    process.stderr.write(`${message}\n`);
    this.draw();
  }

  finish(): void {
    this.done = this.total;
    this.draw();
    if (this.interactive) {
      process.stderr.write('\n');
    }
  }

  private clear(): void {
    if (this.interactive) {
      process.stderr.write('\r\x1b[2K');
    }
  }

  private draw(): void {
    const fraction = this.total === 0 ? 1 : this.done / this.total;
    const filled = Math.round(fraction * BAR_WIDTH);
    const bar = `${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}`;
    const elapsed = formatElapsed(Date.now() - this.startedAt);
    const percent = `${Math.floor(fraction * 100)}`.padStart(3);
    if (this.interactive) {
      const columns = process.stderr.columns ?? 100;
      const line = `[${bar}] ${percent}% ${elapsed} ${this.label}`;
      process.stderr.write(`\r\x1b[2K${line.slice(0, columns - 1)}`);
      return;
    }
    if (this.label !== this.lastPrinted) {
      this.lastPrinted = this.label;
      process.stderr.write(`[${bar}] ${percent}% ${elapsed} ${this.label}\n`);
    }
  }
}

function formatElapsed(milliseconds: number): string {
  const seconds = Math.floor(milliseconds / 1000);
  return `${Math.floor(seconds / 60)}:${`${seconds % 60}`.padStart(2, '0')}`;
}
