import { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';

/** An INSERT built once for a shape: its text, and the columns whose values are its parameters. */
interface BuiltInsert {
  sql: string;
  columns: ColumnMetadata[];
}

/** Built INSERTs kept per data source (one per entity, number of rows and conflict rule). */
const MAX_BUILT_INSERTS = 64;
const builtInserts = new WeakMap<DataSource, Map<string, BuiltInsert | null>>();

/**
 * Inserts rows a chunk at a time, so that no statement outgrows a driver's parameter limit
 * (SQLite's is 32766, PostgreSQL's 65535). The statement count grows with rows / rowsPerInsert.
 * `orIgnore` skips rows whose key exists (INSERT OR IGNORE, ON CONFLICT DO NOTHING).
 */
export async function insertRows<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  rows: T[],
  rowsPerInsert: number,
  options: { orIgnore?: boolean } = {},
): Promise<void> {
  for (let start = 0; start < rows.length; start += rowsPerInsert) {
    await insertChunk(manager, entity, rows.slice(start, start + rowsPerInsert), options);
  }
}

/**
 * One INSERT. TypeORM's query builder resolves metadata, aliases and escaping anew each time,
 * which costs a small ingest more than the statement itself. Its text depends only on the
 * entity, the number of rows and the conflict rule when every value is a plain one, so TypeORM
 * builds it once per shape with a placeholder for each value, and later rows only supply their
 * values, prepared for the driver as TypeORM prepares them. Rows with a missing value (which
 * TypeORM writes as DEFAULT or NULL into the text) or an SQL expression go through the builder.
 */
async function insertChunk<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  rows: T[],
  options: { orIgnore?: boolean },
): Promise<void> {
  const dataSource = manager.connection;
  const metadata = dataSource.getMetadata(entity);
  const key = `${metadata.name}:${rows.length}:${options.orIgnore ? 'ignore' : 'insert'}`;
  let built = builtInserts.get(dataSource);
  if (!built) {
    built = new Map();
    builtInserts.set(dataSource, built);
  }
  let insert = built.get(key);
  if (insert === undefined) {
    insert = buildInsert(manager, entity, rows.length, options);
    if (built.size >= MAX_BUILT_INSERTS) {
      built.clear();
    }
    built.set(key, insert);
  }
  const parameters = insert && parametersOf(dataSource, insert.columns, rows);
  if (insert && parameters) {
    await manager.query(insert.sql, parameters);
    return;
  }
  await insertBuilder(manager, entity, rows, options).execute();
}

function insertBuilder<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  rows: T[],
  options: { orIgnore?: boolean },
) {
  const builder = manager
    .createQueryBuilder()
    .insert()
    .into(entity)
    .values(rows)
    .updateEntity(false);
  return options.orIgnore ? builder.orIgnore() : builder;
}

/**
 * The statement TypeORM would send for `count` rows, each value a parameter in the driver's
 * syntax, columns row by row; null when TypeORM's text would not take them so (an entity with
 * embedded, generated, version or discriminator columns).
 */
function buildInsert<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  count: number,
  options: { orIgnore?: boolean },
): BuiltInsert | null {
  const dataSource = manager.connection;
  const metadata = dataSource.getMetadata(entity);
  const columns = metadata.columns.filter((column) => column.isInsert);
  if (
    metadata.discriminatorColumn ||
    columns.some((column) => column.embeddedMetadata || column.isGenerated || column.isVersion)
  ) {
    return null;
  }
  // Function values go into the text as they are: each writes a marker, replaced below.
  const marker = (index: number) => `\u0001insert-parameter-${index}\u0001`;
  const templates = Array.from({ length: count }, (_, row) => {
    const template = metadata.create() as T;
    columns.forEach((column, position) => {
      const index = row * columns.length + position;
      column.setEntityValue(template, () => marker(index));
    });
    return template;
  });
  const [text, builtParameters] = insertBuilder(
    manager,
    entity,
    templates,
    options,
  ).getQueryAndParameters();
  let sql = text;
  for (let index = 0; index < count * columns.length; index += 1) {
    const at = sql.indexOf(marker(index));
    if (at < 0 || sql.indexOf(marker(index), at + 1) >= 0) {
      return null;
    }
    sql = sql.replace(marker(index), dataSource.driver.createParameter(`p${index}`, index));
  }
  return builtParameters.length === 0 && !sql.includes('\u0001') ? { sql, columns } : null;
}

/**
 * The INSERT's parameters: every column of every row, as the driver stores it; undefined when a
 * value is missing or anything but a string, number, boolean or null.
 */
function parametersOf<T extends ObjectLiteral>(
  dataSource: DataSource,
  columns: ColumnMetadata[],
  rows: T[],
): unknown[] | undefined {
  const parameters: unknown[] = [];
  for (const row of rows) {
    for (const column of columns) {
      const given: unknown = column.getEntityValue(row);
      if (given === undefined || typeof given === 'function') {
        return undefined;
      }
      const value: unknown = dataSource.driver.preparePersistentValue(given, column);
      if (
        value !== null &&
        typeof value !== 'string' &&
        typeof value !== 'number' &&
        typeof value !== 'boolean'
      ) {
        return undefined;
      }
      parameters.push(value);
    }
  }
  return parameters;
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
