import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Spans received over OTLP whose trace's flow is not known yet, held per user until a span naming
 * the flow arrives (looked up by user and trace) or until they expire (by time received).
 */
export class OtlpHeldSpans1768000300000 implements MigrationInterface {
  name = 'OtlpHeldSpans1768000300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "otlp_held_span" (
        "user_id" uuid NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE,
        "id" uuid NOT NULL,
        "trace_id" uuid NOT NULL,
        "received_at" varchar(24) COLLATE "C" NOT NULL,
        "session_id" varchar(255),
        "row" text NOT NULL,
        PRIMARY KEY ("user_id", "id")
      )`);
    await queryRunner.query(
      `CREATE INDEX "ix_otlp_held_span_trace" ON "otlp_held_span" ("user_id", "trace_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_otlp_held_span_received" ON "otlp_held_span" ("received_at")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "otlp_held_span"`);
  }
}
