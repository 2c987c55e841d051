import { LogLevel as NestLogLevel } from '@nestjs/common';
import { LogLevel } from '../config/app.config';

const ORDER: NestLogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
const RANK: Record<LogLevel, number> = { fatal: 0, error: 1, warn: 2, info: 3, debug: 4, trace: 5 };

/** LOG_LEVEL and everything more severe, in Nest's words (`info` is `log`, `trace` is `verbose`). */
export function nestLogLevels(level: LogLevel): NestLogLevel[] {
  return ORDER.slice(0, RANK[level] + 1);
}
