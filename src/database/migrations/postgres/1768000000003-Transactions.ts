import { MigrationInterface, QueryRunner } from 'typeorm';

/** Langflow's transaction log, indexed for the newest-first pages and the per-flow trim. */
export class Transactions1768000000003 implements MigrationInterface {
  name = 'Transactions1768000000003';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "transaction" (
        "id" uuid PRIMARY KEY,
        "flow_id" uuid NOT NULL REFERENCES "flow" ("id") ON DELETE CASCADE,
        "timestamp" varchar(24) COLLATE "C" NOT NULL,
        "vertex_id" varchar(255) NOT NULL,
        "target_id" varchar(255),
        "inputs" text,
        "outputs" text,
        "status" varchar(16) NOT NULL,
        "error" text
      )`);
    await queryRunner.query(
      `CREATE INDEX "ix_transaction_flow_timestamp_id" ON "transaction" ("flow_id", "timestamp", "id")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "transaction"`);
  }
}
