import { DataSource } from 'typeorm';

/**
 * A table's name for hand-written SQL, schema-qualified when DATABASE_SCHEMA is set: no statement
 * may rely on a session's search_path, which a pooler in transaction mode does not keep.
 */
export function qualifiedTable(source: DataSource, tableName: string): string {
  const schema = source.entityMetadatas.find(
    (metadata) => metadata.tableName === tableName,
  )?.schema;
  return schema ? `"${schema}"."${tableName}"` : `"${tableName}"`;
}
