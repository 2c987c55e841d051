import { MigrationInterface, QueryRunner } from 'typeorm';

/** Langflow 1.11's `duration` and `session_metadata` on messages (nullable: no backfill needed). */
export class MessageDurationAndSessionMetadata1768000000010 implements MigrationInterface {
  name = 'MessageDurationAndSessionMetadata1768000000010';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "message" ADD COLUMN "duration" double precision`);
    await queryRunner.query(`ALTER TABLE "message" ADD COLUMN "session_metadata" text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "message" DROP COLUMN "session_metadata"`);
    await queryRunner.query(`ALTER TABLE "message" DROP COLUMN "duration"`);
  }
}
