import { Global, Module } from '@nestjs/common';
import { MetricsServer } from './metrics-server';
import { ServiceMetrics } from './service-metrics';

/** Prometheus metrics; ServiceMetrics is injectable everywhere so features can record theirs. */
@Global()
@Module({
  providers: [ServiceMetrics, MetricsServer],
  exports: [ServiceMetrics],
})
export class MetricsModule {}
