import { MigrationInterface, QueryRunner } from 'typeorm';

/** Langflow's vertex builds, indexed for the newest-per-vertex read and the per-flow trims. */
export class VertexBuilds1768000000002 implements MigrationInterface {
  name = 'VertexBuilds1768000000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "vertex_build" (
        "build_id" varchar(36) PRIMARY KEY NOT NULL,
        "id" varchar(255) NOT NULL,
        "flow_id" varchar(36) NOT NULL REFERENCES "flow" ("id") ON DELETE CASCADE,
        "job_id" varchar(36),
        "timestamp" varchar(24) NOT NULL,
        "data" text,
        "artifacts" text,
        "params" text,
        "valid" boolean NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX "ix_vertex_build_flow_vertex_timestamp" ON "vertex_build" ("flow_id", "id", "timestamp")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_vertex_build_flow_timestamp" ON "vertex_build" ("flow_id", "timestamp", "build_id")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "vertex_build"`);
  }
}
