import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, LessThan } from 'typeorm';
import { APP_CONFIG } from '../../../config/app-config.token';
import { AppConfig } from '../../../config/app.config';
import { ServiceMetrics } from '../../../metrics/service-metrics';
import { HeldSpan } from './held-span.entity';

/** The sweep runs this often at most (and twice per bound when the bound is shorter). */
const MAX_SWEEP_INTERVAL_MS = 60_000;

/**
 * Drops the spans held over OTLP whose flow never arrived, once they are older than
 * OTLP_HELD_SPAN_SECONDS, and counts them (monitor_trace_spans_total{outcome="expired"}). One
 * DELETE by time received: replicas sweeping at once each delete (and count) different rows.
 */
@Injectable()
export class HeldSpanSweep implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(HeldSpanSweep.name);
  private readonly boundMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly metrics: ServiceMetrics,
  ) {
    this.boundMs = config.retention.otlpHeldSpanMs;
  }

  onApplicationBootstrap(): void {
    const interval = Math.min(MAX_SWEEP_INTERVAL_MS, Math.max(1000, this.boundMs / 2));
    this.timer = setInterval(() => void this.sweepOnce(), interval);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Deletes the held spans received before now minus the bound; returns how many. */
  async sweep(now: Date = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.boundMs).toISOString();
    const result = await this.dataSource.manager.delete(HeldSpan, { receivedAt: LessThan(cutoff) });
    const removed = result.affected ?? 0;
    this.metrics.recordTraceSpans('otlp', 'expired', removed);
    return removed;
  }

  private async sweepOnce(): Promise<void> {
    if (this.running) {
      return;
    }
    this.running = this.sweep();
    try {
      const removed = await this.running;
      if (removed > 0) {
        this.logger.log(`Dropped ${removed} OTLP spans whose trace's flow never arrived`);
      }
    } catch (error) {
      this.logger.warn(`Held span sweep failed: ${(error as Error).message}`);
    } finally {
      this.running = undefined;
    }
  }
}
