import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuthenticatedUser } from '../../auth/authenticated-user';
import { uuidV7 } from '../../common/ids/uuid-v7';
import { nowIso } from '../../common/time';
import { RowStreamer } from '../../database/row-streamer';
import { TransactionRunner } from '../../database/transaction-runner';
import { BatchWriter } from '../batch-writer.service';
import { FlowClaimService } from '../flow-claim.service';
import { qualifiedTable } from '../../database/qualified-table';
import { ownedFlowIds } from '../message-row';
import { refuseRepeatedIds } from '../repeated-ids';
import { CreateVertexBuildDto } from './dto/create-vertex-build.dto';
import { VertexBuildAlreadyExistsError } from './errors/vertex-build-already-exists.error';
import { VertexBuild } from './vertex-build.entity';
import {
  serializeVertexBuild,
  serializeVertexBuildMap,
  VERTEX_BUILD_COLUMNS,
  VertexBuildRow,
  vertexBuildRowOf,
} from './vertex-build.mapper';
import { BuildRetention } from './build-retention';

/** Langflow's bound on the builds one read returns. */
export const MAX_BUILDS_PER_READ = 1000;

/** 9 columns x 200 rows stays far below every driver's parameter limit. */
const INSERT_CHUNK_ROWS = 200;

/** Vertex builds: written in batches, read as the newest build of each vertex of a flow. */
@Injectable()
export class BuildsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
    private readonly rows: RowStreamer,
    private readonly flows: FlowClaimService,
    private readonly writer: BatchWriter,
    private readonly retention: BuildRetention,
  ) {}

  /**
   * The newest build of each vertex of the caller's flow (all of them when several share the
   * newest timestamp), vertices ordered by that timestamp; `{"vertex_builds":{}}` for a flow that
   * is not the caller's.
   */
  async newestOfEachVertex(ownerId: string, flowId: string): Promise<string> {
    const columns = VERTEX_BUILD_COLUMNS.map((column) => `"b"."${column}"`).join(', ');
    const builds = qualifiedTable(this.dataSource, 'vertex_build');
    // The newest timestamp of each vertex is one probe of ix_vertex_build_flow_vertex_timestamp.
    const [sql, parameters] = this.dataSource.driver.escapeQueryWithParameters(
      `SELECT ${columns} FROM ${builds} "b" ` +
        `WHERE "b"."flow_id" = :flowId AND "b"."flow_id" IN ${ownedFlowIds(this.dataSource)} ` +
        `AND "b"."timestamp" = (SELECT MAX("n"."timestamp") FROM ${builds} "n" ` +
        `WHERE "n"."flow_id" = "b"."flow_id" AND "n"."id" = "b"."id") ` +
        `ORDER BY "b"."timestamp" ASC, "b"."id" ASC, "b"."build_id" ASC LIMIT ${MAX_BUILDS_PER_READ}`,
      { flowId, ownerId },
      {},
    );
    const rows = await this.rows.all<VertexBuildRow>(sql, parameters);
    return serializeVertexBuildMap(rows);
  }

  /** Deletes every build of the caller's flow; another user's flow is left as it is. */
  async deleteForFlow(ownerId: string, flowId: string): Promise<void> {
    await this.transactions.run(async (manager) => {
      await this.flows.lockFlow(manager, flowId);
      await manager
        .createQueryBuilder()
        .delete()
        .from(VertexBuild)
        .where('flow_id = :flowId', { flowId })
        .andWhere(`flow_id IN ${ownedFlowIds(manager)}`, { ownerId })
        .execute();
    });
  }

  /**
   * Stores a batch of builds for the caller, all or nothing, trims each flow it touched to the
   * retention caps in the same transaction, and returns the stored builds as JSON in the input's
   * order.
   */
  async ingest(owner: AuthenticatedUser, items: CreateVertexBuildDto[]): Promise<string[]> {
    const now = nowIso();
    const builds = items.map((item) => this.toEntity(item, now));
    refuseRepeatedIds(items, 'build_id');
    await this.writer.write(owner.id, now, {
      entity: VertexBuild,
      rows: builds,
      idProperty: 'buildId',
      flowIdOf: (build) => build.flowId,
      givenIds: items.flatMap((item) => (item.build_id ? [item.build_id] : [])),
      alreadyExists: (id) => new VertexBuildAlreadyExistsError(id),
      rowsPerInsert: INSERT_CHUNK_ROWS,
      trim: (manager, flowId) => this.retention.trim(manager, flowId),
    });
    return builds.map((build) => serializeVertexBuild(vertexBuildRowOf(build)));
  }

  private toEntity(item: CreateVertexBuildDto, now: string): VertexBuild {
    return Object.assign(new VertexBuild(), {
      buildId: item.build_id ?? uuidV7(),
      vertexId: item.id,
      flowId: item.flow_id,
      jobId: item.job_id ?? null,
      timestamp: item.timestamp ?? now,
      data: item.data === undefined || item.data === null ? null : JSON.stringify(item.data),
      artifacts:
        item.artifacts === undefined || item.artifacts === null
          ? null
          : JSON.stringify(item.artifacts),
      params: item.params ?? null,
      valid: item.valid,
    });
  }
}
