import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Langflow's traces and their spans. Indexed for the list (a flow's or all of a user's, newest
 * start first; by session; by status), the per-flow trim, and a trace's span tree and leaves.
 * A trace's spans go with it.
 */
export class TracesAndSpans1768000200000 implements MigrationInterface {
  name = 'TracesAndSpans1768000200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "trace" (
        "id" uuid PRIMARY KEY,
        "flow_id" uuid NOT NULL REFERENCES "flow" ("id") ON DELETE CASCADE,
        "name" text NOT NULL,
        "status" varchar(8) NOT NULL,
        "start_time" varchar(24) COLLATE "C" NOT NULL,
        "end_time" varchar(24) COLLATE "C",
        "total_latency_ms" integer NOT NULL,
        "total_tokens" integer NOT NULL,
        "session_id" varchar(255)
      )`);
    await queryRunner.query(
      `CREATE INDEX "ix_trace_flow_start_id" ON "trace" ("flow_id", "start_time", "id")`,
    );
    await queryRunner.query(`CREATE INDEX "ix_trace_start_id" ON "trace" ("start_time", "id")`);
    await queryRunner.query(`CREATE INDEX "ix_trace_session_id" ON "trace" ("session_id")`);
    await queryRunner.query(`CREATE INDEX "ix_trace_status" ON "trace" ("status")`);
    await queryRunner.query(`
      CREATE TABLE "span" (
        "id" uuid PRIMARY KEY,
        "trace_id" uuid NOT NULL REFERENCES "trace" ("id") ON DELETE CASCADE,
        "parent_span_id" uuid,
        "name" text NOT NULL,
        "span_type" varchar(16) NOT NULL,
        "status" varchar(8) NOT NULL,
        "start_time" varchar(24) COLLATE "C" NOT NULL,
        "end_time" varchar(24) COLLATE "C",
        "latency_ms" integer NOT NULL,
        "inputs" text,
        "outputs" text,
        "error" text,
        "span_kind" varchar(16) NOT NULL,
        "attributes" text NOT NULL,
        "model_name" text,
        "prompt_tokens" integer,
        "completion_tokens" integer,
        "total_tokens" integer
      )`);
    await queryRunner.query(
      `CREATE INDEX "ix_span_trace_start_id" ON "span" ("trace_id", "start_time", "id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_span_trace_parent" ON "span" ("trace_id", "parent_span_id")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "span"`);
    await queryRunner.query(`DROP TABLE "trace"`);
  }
}
