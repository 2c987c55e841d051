import { Presets, SingleBar } from 'cli-progress';

/** What the importer tells about its progress, table by table. */
export interface ImportProgress {
  start(label: string, total: number): void;
  advance(count: number): void;
  stop(): void;
}

/** A progress bar on standard error (standard output keeps the summary and the new keys). */
export class ProgressBar implements ImportProgress {
  private bar: SingleBar | undefined;

  start(label: string, total: number): void {
    this.bar = new SingleBar(
      {
        format: `${label.padEnd(13)} [{bar}] {value}/{total}`,
        stream: process.stderr,
        // Off a terminal (CI, a log file) it still prints, at a calmer pace.
        noTTYOutput: true,
        notTTYSchedule: 2000,
        hideCursor: true,
      },
      Presets.legacy,
    );
    this.bar.start(total, 0);
  }

  advance(count: number): void {
    this.bar?.increment(count);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}
