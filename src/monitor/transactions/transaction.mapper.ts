import { TransactionLog } from './transaction-log.entity';

/** A transaction as read from the database: its columns are named as in the API. */
export interface TransactionRow {
  id: string;
  timestamp: string;
  vertex_id: string;
  target_id: string | null;
  inputs: string | null;
  outputs: string | null;
  status: string;
  error: string | null;
  flow_id: string;
}

/** The columns of a TransactionRow, in the answer's order. */
export const TRANSACTION_COLUMNS = [
  'id',
  'timestamp',
  'vertex_id',
  'target_id',
  'inputs',
  'outputs',
  'status',
  'error',
  'flow_id',
] as const;

const text = JSON.stringify;
const orNull = (value: string | null) => (value === null ? 'null' : text(value));

/** One transaction as JSON, fields in the wire order; the JSON columns embedded as stored. */
export function serializeTransaction(row: TransactionRow): string {
  return (
    `{"id":${text(row.id)}` +
    `,"timestamp":${text(row.timestamp)}` +
    `,"vertex_id":${text(row.vertex_id)}` +
    `,"target_id":${orNull(row.target_id)}` +
    `,"inputs":${row.inputs ?? 'null'}` +
    `,"outputs":${row.outputs ?? 'null'}` +
    `,"status":${text(row.status)}` +
    `,"error":${orNull(row.error)}` +
    `,"flow_id":${text(row.flow_id)}}`
  );
}

/** Langflow's Page document around already serialized items. */
export function serializeTransactionPage(
  items: string[],
  page: { total: number; page: number; size: number },
): string {
  const pages = page.total === 0 ? 0 : Math.ceil(page.total / page.size);
  return (
    `{"items":[${items.join(',')}],"total":${page.total},"page":${page.page}` +
    `,"size":${page.size},"pages":${pages}}`
  );
}

/** The row an entity is stored as, for answering what was just written. */
export function transactionRowOf(log: TransactionLog): TransactionRow {
  return {
    id: log.id,
    timestamp: log.timestamp,
    vertex_id: log.vertexId,
    target_id: log.targetId,
    inputs: log.inputs,
    outputs: log.outputs,
    status: log.status,
    error: log.error,
    flow_id: log.flowId,
  };
}
