import { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * Inserts rows a chunk at a time, so that no statement outgrows a driver's parameter limit
 * (SQLite's is 32766, PostgreSQL's 65535). The statement count grows with rows / rowsPerInsert.
 */
export async function insertRows<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  rows: T[],
  rowsPerInsert: number,
): Promise<void> {
  for (let start = 0; start < rows.length; start += rowsPerInsert) {
    await manager
      .createQueryBuilder()
      .insert()
      .into(entity)
      .values(rows.slice(start, start + rowsPerInsert))
      .updateEntity(false)
      .execute();
  }
}

/** One of the ids that already exist in the column (looked up 500 at a time), if any. */
export async function firstExistingId<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  property: string,
  ids: string[],
): Promise<string | undefined> {
  for (let start = 0; start < ids.length; start += 500) {
    const existing = await manager
      .createQueryBuilder(entity, 'e')
      .select(`e.${property}`, 'id')
      .where(`e.${property} IN (:...ids)`, { ids: ids.slice(start, start + 500) })
      .orderBy(`e.${property}`)
      .getRawOne<{ id: string }>();
    if (existing) {
      return existing.id;
    }
  }
  return undefined;
}
