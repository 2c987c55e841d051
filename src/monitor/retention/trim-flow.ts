import { EntityManager } from 'typeorm';
import { qualifiedTable } from '../../database/qualified-table';

/** Which rows of a table to trim for one flow. Table and column names are constants, never input. */
export interface FlowTrim {
  table: string;
  idColumn: string;
  flowId: string;
  /** Rows kept in each group, newest first (ties by id, newest id first). */
  keep: number;
  /** The column the newest are found by; default `timestamp`. */
  orderColumn?: string;
  /** Groups within the flow (e.g. the vertex id); the whole flow when left out. */
  partitionBy?: string;
}

/**
 * Deletes the flow's rows beyond the newest `keep` of each group: one statement that reads only
 * the flow's rows through its (flow_id, timestamp, ...) index, and never another flow's. The same
 * SQL on SQLite and PostgreSQL (window functions).
 */
export async function trimFlow(manager: EntityManager, trim: FlowTrim): Promise<void> {
  const partition = trim.partitionBy ? `PARTITION BY "${trim.partitionBy}" ` : '';
  const table = qualifiedTable(manager.connection, trim.table);
  const order = trim.orderColumn ?? 'timestamp';
  const [sql, parameters] = manager.connection.driver.escapeQueryWithParameters(
    `DELETE FROM ${table} WHERE "flow_id" = :flowId AND "${trim.idColumn}" IN (` +
      `SELECT "${trim.idColumn}" FROM (SELECT "${trim.idColumn}", ROW_NUMBER() OVER (${partition}` +
      `ORDER BY "${order}" DESC, "${trim.idColumn}" DESC) AS "rank" FROM ${table} ` +
      `WHERE "flow_id" = :flowId) "ranked" WHERE "rank" > :keep)`,
    { flowId: trim.flowId, keep: trim.keep },
    {},
  );
  await manager.query(sql, parameters);
}
