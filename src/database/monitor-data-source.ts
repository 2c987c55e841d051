import { DataSource } from 'typeorm';
import { isByteOrdered } from './byte-ordered.decorator';

/**
 * TypeORM's DataSource, with the mapping told what the migrations made, where the two databases
 * differ and one entity cannot say both. Without this, `migration:generate` on an unchanged model
 * would write a migration (PostgreSQL: `COLLATE "undefined"`; SQLite: every table rebuilt).
 */
export class MonitorDataSource extends DataSource {
  protected override async buildMetadatas(): Promise<void> {
    await super.buildMetadatas();
    const postgres = this.options.type === 'postgres';
    for (const entity of this.entityMetadatas) {
      for (const column of entity.columns) {
        if (postgres && isByteOrdered(column.target, column.propertyName)) {
          // Byte-wise order, as SQLite compares text.
          column.collation = 'C';
        }
        if (!postgres && column.type === 'uuid') {
          // SQLite has no uuid type: the migrations keep them as varchar(36).
          column.length = '36';
        }
      }
      for (const foreignKey of entity.foreignKeys) {
        // The migrations declare foreign keys inline: PostgreSQL names them table_column_fkey,
        // SQLite not at all.
        foreignKey.name = postgres
          ? `${entity.tableName}_${foreignKey.columnNames.join('_')}_fkey`
          : (undefined as unknown as string);
      }
    }
  }
}
