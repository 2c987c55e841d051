import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { countRows, RowStreamer } from '../../database/row-streamer';
import { AuthenticatedUser } from '../../auth/authenticated-user';
import { uuidV7 } from '../../common/ids/uuid-v7';
import { nowIso } from '../../common/time';
import { BatchWriter } from '../batch-writer.service';
import { ownedFlowIds } from '../message-row';
import { refuseRepeatedIds } from '../repeated-ids';
import { CreateTransactionDto } from './dto/create-transaction.dto';
import { DEFAULT_TRANSACTION_PAGE_SIZE, TransactionsQueryDto } from './dto/transactions.query.dto';
import { TransactionAlreadyExistsError } from './errors/transaction-already-exists.error';
import { maskSecrets } from './secret-masking';
import { TransactionLog } from './transaction-log.entity';
import {
  serializeTransaction,
  serializeTransactionPage,
  TRANSACTION_COLUMNS,
  TransactionRow,
  transactionRowOf,
} from './transaction.mapper';
import { TransactionRetention } from './transaction-retention';

/** 9 columns x 200 rows stays far below every driver's parameter limit. */
const INSERT_CHUNK_ROWS = 200;

/** The transaction log: component runs written in batches, read a page at a time. */
@Injectable()
export class TransactionsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly rows: RowStreamer,
    private readonly writer: BatchWriter,
    private readonly retention: TransactionRetention,
  ) {}

  /**
   * One page of the caller's flow's transactions, newest first (ties by id, descending), as
   * Langflow's Page document. The page and the flow's total come from one statement (a window
   * count), so they always agree; only a page past the end costs a second one, for the total. A
   * flow that is not the caller's is empty.
   */
  async page(ownerId: string, query: TransactionsQueryDto): Promise<string> {
    const page = query.page ?? 1;
    const size = query.size ?? DEFAULT_TRANSACTION_PAGE_SIZE;
    const owned = () =>
      this.dataSource
        .createQueryBuilder(TransactionLog, 't')
        .where('t.flowId = :flowId', { flowId: query.flow_id })
        .andWhere(`t.flowId IN ${ownedFlowIds(this.dataSource)}`, { ownerId });
    const builder = owned().select('COUNT(*) OVER ()', 'total');
    for (const column of TRANSACTION_COLUMNS) {
      builder.addSelect(`t.${camel(column)}`, column);
    }
    const rows = await this.rows.all<TransactionRow & { total: string | number }>(
      ...builder
        .orderBy('t.timestamp', 'DESC')
        .addOrderBy('t.id', 'DESC')
        .limit(size)
        .offset((page - 1) * size)
        .getQueryAndParameters(),
    );
    const total = rows.length > 0 ? Number(rows[0].total) : await countRows(this.rows, owned());
    if (total === 0) {
      return serializeTransactionPage([], { total: 0, page: 1, size });
    }
    return serializeTransactionPage(rows.map(serializeTransaction), { total, page, size });
  }

  /**
   * Stores a batch of transactions for the caller, all or nothing, secrets masked and `code`
   * removed first, trims each flow it touched in the same transaction, and returns the stored
   * rows as JSON in the input's order.
   */
  async ingest(owner: AuthenticatedUser, items: CreateTransactionDto[]): Promise<string[]> {
    const now = nowIso();
    const logs = items.map((item) => this.toEntity(item, now));
    refuseRepeatedIds(items, 'id');
    await this.writer.write(owner.id, now, {
      entity: TransactionLog,
      rows: logs,
      idProperty: 'id',
      flowIdOf: (log) => log.flowId,
      givenIds: items.flatMap((item) => (item.id ? [item.id] : [])),
      alreadyExists: (id) => new TransactionAlreadyExistsError(id),
      rowsPerInsert: INSERT_CHUNK_ROWS,
      trim: (manager, flowId) => this.retention.trim(manager, flowId),
    });
    return logs.map((log) => serializeTransaction(transactionRowOf(log)));
  }

  private toEntity(item: CreateTransactionDto, now: string): TransactionLog {
    const masked = (value: Record<string, unknown> | null | undefined) =>
      value === undefined || value === null ? null : JSON.stringify(maskSecrets(value));
    return Object.assign(new TransactionLog(), {
      id: item.id ?? uuidV7(),
      flowId: item.flow_id,
      timestamp: item.timestamp ?? now,
      vertexId: item.vertex_id,
      targetId: item.target_id ?? null,
      inputs: masked(item.inputs),
      outputs: masked(item.outputs),
      status: item.status,
      error: item.error ?? null,
    });
  }
}

/** The entity property of an API column. */
function camel(column: string): string {
  return column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
