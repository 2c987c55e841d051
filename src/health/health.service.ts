import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

@Injectable()
export class HealthService {
  private readonly logger = new Logger('Health');

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async databaseAnswers(): Promise<boolean> {
    try {
      await this.dataSource.query('SELECT 1');
      return true;
    } catch (error) {
      this.logger.warn(`database check failed: ${(error as Error).message}`);
      return false;
    }
  }
}
