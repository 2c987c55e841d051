import { MigrationInterface, QueryRunner } from 'typeorm';

/** API keys may expire, and remember when they were last used (issue 8). */
export class ApiKeyExpiryAndLastUse1766000000001 implements MigrationInterface {
  name = 'ApiKeyExpiryAndLastUse1766000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "api_key" ADD COLUMN "expires_at" varchar(24) COLLATE "C"`,
    );
    await queryRunner.query(
      `ALTER TABLE "api_key" ADD COLUMN "last_used_at" varchar(24) COLLATE "C"`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "api_key" DROP COLUMN "last_used_at"`);
    await queryRunner.query(`ALTER TABLE "api_key" DROP COLUMN "expires_at"`);
  }
}
