import { DataSource } from 'typeorm';
import { dialectOf } from './dialect/dialect-of';

/**
 * TypeORM's DataSource, with the mapping told what the migrations made, where the two databases
 * differ and one entity cannot say both (each dialect's `matchMigrations`). Without this,
 * `migration:generate` on an unchanged model would write a migration (PostgreSQL:
 * `COLLATE "undefined"`; SQLite: every table rebuilt).
 */
export class MonitorDataSource extends DataSource {
  protected override async buildMetadatas(): Promise<void> {
    await super.buildMetadatas();
    dialectOf(this).matchMigrations(this.entityMetadatas);
  }
}
