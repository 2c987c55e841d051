import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../../config/app-config.token';
import { AppConfig } from '../../config/app.config';
import { RetentionConfig } from '../../config/retention.config';
import { qualifiedTable } from '../../database/qualified-table';
import { Message } from '../message.entity';

/** Rows per DELETE: short statements hold few row locks, so writers beside the sweep barely wait. */
const SWEEP_BATCH_ROWS = 1000;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * MESSAGE_RETENTION_DAYS: removes messages older than that many days, on a timer, never on the
 * request path. Unset, messages are kept for ever and no timer runs. Every replica may sweep: a
 * sweep only deletes what is past the cut-off, so two at once simply share the work.
 */
@Injectable()
export class MessageRetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(MessageRetentionService.name);
  private readonly config: RetentionConfig;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.config = config.retention;
  }

  onApplicationBootstrap(): void {
    if (this.config.messageRetentionDays === undefined) {
      return;
    }
    this.timer = setInterval(() => void this.sweepOnce(), this.config.messageRetentionIntervalMs);
    // The timer alone must not keep the process alive.
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /**
   * Deletes the messages older than the retention period as of `now`, in batches by id through
   * the timestamp index, and returns how many went. Does nothing when retention is off.
   */
  async sweep(now: Date = new Date()): Promise<number> {
    const days = this.config.messageRetentionDays;
    if (days === undefined) {
      return 0;
    }
    const cutoff = new Date(now.getTime() - days * DAY_MS).toISOString();
    let removed = 0;
    for (;;) {
      const result = await this.dataSource
        .createQueryBuilder()
        .delete()
        .from(Message)
        .where(
          `"id" IN (SELECT "old"."id" FROM ${qualifiedTable(this.dataSource, 'message')} "old" WHERE "old"."timestamp" < :cutoff ` +
            `ORDER BY "old"."timestamp" LIMIT ${SWEEP_BATCH_ROWS})`,
          { cutoff },
        )
        .execute();
      const count = result.affected ?? 0;
      removed += count;
      if (count < SWEEP_BATCH_ROWS) {
        return removed;
      }
    }
  }

  /** One timed sweep at a time; a failure is logged and the next tick tries again. */
  private async sweepOnce(): Promise<void> {
    if (this.running) {
      return;
    }
    this.running = this.sweep();
    try {
      const removed = await this.running;
      if (removed > 0) {
        this.logger.log(
          `Removed ${removed} messages older than ${this.config.messageRetentionDays} days`,
        );
      }
    } catch (error) {
      this.logger.warn(`Message retention sweep failed: ${(error as Error).message}`);
    } finally {
      this.running = undefined;
    }
  }
}
