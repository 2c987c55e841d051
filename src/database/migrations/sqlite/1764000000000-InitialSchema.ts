import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "user" (
        "id" varchar(36) PRIMARY KEY NOT NULL,
        "username" varchar(255) NOT NULL,
        "is_active" boolean NOT NULL DEFAULT (1),
        "is_superuser" boolean NOT NULL DEFAULT (0),
        "created_at" varchar(24) NOT NULL,
        CONSTRAINT "uq_user_username" UNIQUE ("username")
      )`);
    await queryRunner.query(`
      CREATE TABLE "api_key" (
        "id" varchar(36) PRIMARY KEY NOT NULL,
        "user_id" varchar(36) NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE,
        "name" varchar(255) NOT NULL,
        "key_hash" varchar(64) NOT NULL,
        "key_preview" varchar(16) NOT NULL,
        "created_at" varchar(24) NOT NULL,
        CONSTRAINT "uq_api_key_key_hash" UNIQUE ("key_hash")
      )`);
    await queryRunner.query(`CREATE INDEX "ix_api_key_user_id" ON "api_key" ("user_id")`);
    await queryRunner.query(`
      CREATE TABLE "flow" (
        "id" varchar(36) PRIMARY KEY NOT NULL,
        "user_id" varchar(36) NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE,
        "created_at" varchar(24) NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX "ix_flow_user_id" ON "flow" ("user_id")`);
    await queryRunner.query(`
      CREATE TABLE "message" (
        "id" varchar(36) PRIMARY KEY NOT NULL,
        "flow_id" varchar(36) REFERENCES "flow" ("id") ON DELETE CASCADE,
        "timestamp" varchar(24) NOT NULL,
        "sender" varchar(255) NOT NULL,
        "sender_name" varchar(255) NOT NULL,
        "session_id" varchar(255) NOT NULL,
        "text" text NOT NULL,
        "files" text NOT NULL DEFAULT ('[]'),
        "edit" boolean NOT NULL DEFAULT (0),
        "error" boolean NOT NULL DEFAULT (0),
        "properties" text NOT NULL DEFAULT ('{}'),
        "category" varchar(255) NOT NULL DEFAULT ('message'),
        "content_blocks" text NOT NULL DEFAULT ('[]'),
        "rename_id" varchar(36)
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
