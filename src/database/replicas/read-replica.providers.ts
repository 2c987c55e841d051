import { Logger, OnApplicationShutdown, Provider } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import type Redis from 'ioredis';
import { connectSharedRedis } from '../../common/redis/shared-redis';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app.config';
import { ServiceMetrics } from '../../metrics/service-metrics';
import { boundedClientClass } from '../bounded-pg-client';
import { DatabaseDialect } from '../dialect/database-dialect';
import { parseLsn } from './lsn';
import { ReplicaMonitor } from './replica-monitor';
import { ReplicaReads } from './replica-reads';
import { RequestCallerInterceptor } from './request-caller';
import { WritePositions } from './write-positions';

/** Stops watching the replicas and lets go of Redis when the application closes. */
class ReadReplicasShutdown implements OnApplicationShutdown {
  constructor(
    private readonly monitor: ReplicaMonitor,
    private readonly redis: Promise<Redis> | undefined,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.monitor.stop();
    (await this.redis)?.disconnect();
  }
}

/** Reads the primary's position in its WAL (`function` is pg_current_wal_lsn or _insert_lsn). */
async function primaryPosition(dataSource: DataSource, fn: string): Promise<bigint> {
  const [row] = await dataSource.query<{ lsn: string }[]>(`SELECT ${fn}()::text AS "lsn"`);
  return parseLsn(row.lsn);
}

/**
 * The read replicas' parts (DATABASE_READ_URLS), none without replicas: the replicas watched in
 * the background, each key's write positions, the reads routed by both, and the request's caller
 * kept in reach of the database layer.
 */
export function readReplicaProviders(config: AppConfig): Provider[] {
  const settings = config.readReplicas;
  if (settings.urls.length === 0) {
    return [];
  }
  const limits = config.scale;
  const { redisUrl, redisKeyPrefix } = config.throttling;
  // One client for this module, connected once, shared with the shutdown.
  const redis = redisUrl === undefined ? undefined : connectSharedRedis(redisUrl, redisKeyPrefix);
  const logger = new Logger('ReadReplicas');
  // Made after the monitor, which tells it when a replica leaves.
  let reads: ReplicaReads | undefined;
  return [
    {
      provide: ReplicaMonitor,
      inject: [DataSource],
      useFactory: async (dataSource: DataSource) => {
        const monitor = new ReplicaMonitor({
          urls: settings.urls,
          maxLagSeconds: settings.maxLagMs / 1000,
          pollIntervalMs: settings.pollIntervalMs,
          primaryLsn: () => primaryPosition(dataSource, 'pg_current_wal_lsn'),
          pool: {
            max: limits.poolSize,
            connectionTimeoutMillis: limits.connectTimeoutMs,
            keepAliveInitialDelayMillis: limits.keepAliveMs,
            Client: boundedClientClass(limits),
          },
          onStateChange: (replica, from, to, reason) => {
            const text = `Read replica ${replica.name}: ${from} -> ${to}${reason ? ` (${reason})` : ''}`;
            if (to === 'up') {
              logger.log(text);
            } else {
              logger.warn(text);
              reads?.abandon(replica);
            }
          },
        });
        await monitor.start();
        return monitor;
      },
    },
    {
      provide: WritePositions,
      inject: [DataSource],
      useFactory: async (dataSource: DataSource) =>
        new WritePositions({
          primaryPosition: () => primaryPosition(dataSource, 'pg_current_wal_insert_lsn'),
          // Past the maximum lag, every replica still read from has replayed the write.
          keepMs: 2 * settings.maxLagMs + 2 * settings.pollIntervalMs + 10_000,
          redis: await redis,
        }),
    },
    {
      provide: ReplicaReads,
      inject: [DataSource, DatabaseDialect, ReplicaMonitor, WritePositions, ServiceMetrics],
      useFactory: (
        dataSource: DataSource,
        dialect: DatabaseDialect,
        monitor: ReplicaMonitor,
        positions: WritePositions,
        metrics: ServiceMetrics,
      ) => {
        reads = new ReplicaReads(
          dataSource,
          dialect,
          monitor,
          positions,
          metrics.watchReadReplicas(() => monitor.replicas),
        );
        return reads;
      },
    },
    {
      provide: ReadReplicasShutdown,
      inject: [ReplicaMonitor],
      useFactory: (monitor: ReplicaMonitor) => new ReadReplicasShutdown(monitor, redis),
    },
    { provide: APP_INTERCEPTOR, useClass: RequestCallerInterceptor },
  ];
}
