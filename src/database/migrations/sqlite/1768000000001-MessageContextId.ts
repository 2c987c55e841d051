import { MigrationInterface, QueryRunner } from 'typeorm';

/** Langflow's `context_id` on messages (nullable, so existing rows need no value). */
export class MessageContextId1768000000001 implements MigrationInterface {
  name = 'MessageContextId1768000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "message" ADD COLUMN "context_id" varchar(255)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "message" DROP COLUMN "context_id"`);
  }
}
