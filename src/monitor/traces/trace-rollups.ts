import { Span } from './span.entity';
import { MAX_STORED_INTEGER } from './trace-values';

/** error when a span failed; ok when every span is ok; unset otherwise (and without spans). */
export function rolledUpStatus(spans: Pick<Span, 'status'>[]): string {
  if (spans.some((span) => span.status === 'error')) {
    return 'error';
  }
  return spans.length > 0 && spans.every((span) => span.status === 'ok') ? 'ok' : 'unset';
}

/** Whole milliseconds from start to end; 0 without an end (or with one before the start). */
export function millisBetween(start: string, end: string | null): number {
  if (end === null) {
    return 0;
  }
  return Math.max(0, Math.min(Date.parse(end) - Date.parse(start), MAX_STORED_INTEGER));
}
