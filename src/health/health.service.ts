import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app.config';
import { APP_CONFIG } from '../config/app-config.token';
import { Readiness } from './readiness';

@Injectable()
export class HealthService {
  private readonly logger = new Logger('Health');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly readiness: Readiness,
  ) {}

  /**
   * Ready for new requests: not shutting down, and the database answers within
   * HEALTH_CHECK_TIMEOUT (a partitioned database must not make the probe itself hang).
   */
  async ready(): Promise<boolean> {
    if (!this.readiness.accepting) {
      return false;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = this.config.scale.healthCheckTimeoutMs;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.dataSource.query('SELECT 1'), deadline]);
      return true;
    } catch (error) {
      this.logger.warn(`database check failed: ${(error as Error).message}`);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}
