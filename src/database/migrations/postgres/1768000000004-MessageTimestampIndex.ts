import { MigrationInterface, QueryRunner } from 'typeorm';

/** The message retention sweep finds messages past the cut-off by timestamp alone. */
export class MessageTimestampIndex1768000000004 implements MigrationInterface {
  name = 'MessageTimestampIndex1768000000004';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "ix_message_timestamp" ON "message" ("timestamp")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_message_timestamp"`);
  }
}
