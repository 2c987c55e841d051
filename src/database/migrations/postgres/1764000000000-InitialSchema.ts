import { MigrationInterface, QueryRunner } from 'typeorm';

/** Text timestamps use the "C" collation so that they sort byte-wise, as on SQLite. */
export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "user" (
        "id" uuid PRIMARY KEY,
        "username" varchar(255) NOT NULL,
        "is_active" boolean NOT NULL DEFAULT true,
        "is_superuser" boolean NOT NULL DEFAULT false,
        "created_at" varchar(24) COLLATE "C" NOT NULL,
        CONSTRAINT "uq_user_username" UNIQUE ("username")
      )`);
    await queryRunner.query(`
      CREATE TABLE "api_key" (
        "id" uuid PRIMARY KEY,
        "user_id" uuid NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE,
        "name" varchar(255) NOT NULL,
        "key_hash" varchar(64) NOT NULL,
        "key_preview" varchar(16) NOT NULL,
        "created_at" varchar(24) COLLATE "C" NOT NULL,
        CONSTRAINT "uq_api_key_key_hash" UNIQUE ("key_hash")
      )`);
    await queryRunner.query(`CREATE INDEX "ix_api_key_user_id" ON "api_key" ("user_id")`);
    await queryRunner.query(`
      CREATE TABLE "flow" (
        "id" uuid PRIMARY KEY,
        "user_id" uuid NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE,
        "created_at" varchar(24) COLLATE "C" NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX "ix_flow_user_id" ON "flow" ("user_id")`);
    await queryRunner.query(`
      CREATE TABLE "message" (
        "id" uuid PRIMARY KEY,
        "flow_id" uuid REFERENCES "flow" ("id") ON DELETE CASCADE,
        "timestamp" varchar(24) COLLATE "C" NOT NULL,
        "sender" varchar(255) NOT NULL,
        "sender_name" varchar(255) NOT NULL,
        "session_id" varchar(255) NOT NULL,
        "text" text NOT NULL,
        "files" text NOT NULL DEFAULT '[]',
        "edit" boolean NOT NULL DEFAULT false,
        "error" boolean NOT NULL DEFAULT false,
        "properties" text NOT NULL DEFAULT '{}',
        "category" varchar(255) NOT NULL DEFAULT 'message',
        "content_blocks" text NOT NULL DEFAULT '[]',
        "rename_id" uuid
      )`);
    await queryRunner.query(
      `CREATE INDEX "ix_message_session_timestamp_id" ON "message" ("session_id", "timestamp", "id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_message_flow_session" ON "message" ("flow_id", "session_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_message_flow_timestamp_id" ON "message" ("flow_id", "timestamp", "id")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "message"`);
    await queryRunner.query(`DROP TABLE "flow"`);
    await queryRunner.query(`DROP TABLE "api_key"`);
    await queryRunner.query(`DROP TABLE "user"`);
  }
}
