import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { CompiledQuery, compileQuery } from '../database/compiled-query';
import { DatabaseDialect } from '../database/dialect/database-dialect';
import { ResponseSpool } from '../common/http/response-spool';
import { APP_CONFIG } from '../config/app-config.token';
import { AppConfig } from '../config/app.config';
import { Row, RowStreamer } from '../database/row-streamer';
import { TransactionRunner } from '../database/transaction-runner';
import { ServiceMetrics } from '../metrics/service-metrics';
import { SessionConflictPolicy } from './dto/update-session.query.dto';
import { SessionAlreadyExistsError } from './errors/session-already-exists.error';
import { SessionNotFoundError } from './errors/session-not-found.error';
import { MESSAGE_ROW_COLUMNS, MessageRow, ownedFlowIds, selectMessageRow } from './message-row';
import { Message } from './message.entity';
import { serializeMessage } from './message.serializer';

@Injectable()
export class SessionService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
    private readonly rows: RowStreamer,
    private readonly dialect: DatabaseDialect,
    private readonly metrics: ServiceMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private compiledRenameQueries?: {
    update: CompiledQuery<'newSessionId' | 'renameId' | 'oldSessionId' | 'ownerId'>;
    reselect: CompiledQuery<'newSessionId' | 'renameId'>;
    updateReturning: CompiledQuery<'newSessionId' | 'renameId' | 'oldSessionId' | 'ownerId'>;
  };

  /** The rename's statements, built once: their SQL never changes, only the values. */
  private get renameQueries() {
    const names = ['newSessionId', 'renameId', 'oldSessionId', 'ownerId'] as const;
    const update = (p: Record<(typeof names)[number], string>) =>
      this.dataSource
        .createQueryBuilder()
        .update(Message)
        .set({ sessionId: p.newSessionId, renameId: p.renameId })
        .where('session_id = :oldSessionId', { oldSessionId: p.oldSessionId })
        .andWhere(`flow_id IN ${ownedFlowIds(this.dataSource)}`, { ownerId: p.ownerId })
        .getQueryAndParameters();
    this.compiledRenameQueries ??= {
      update: compileQuery(names, update),
      updateReturning: compileQuery(names, (p) => {
        const [sql, parameters] = update(p);
        const columns = MESSAGE_ROW_COLUMNS.map((column) => `"${column}"`).join(', ');
        return [
          `WITH "moved" AS (${sql} RETURNING ${columns}) ` +
            `SELECT ${columns} FROM "moved" ORDER BY "timestamp" ASC, "id" ASC`,
          parameters,
        ];
      }),
      reselect: compileQuery(['newSessionId', 'renameId'], (p) =>
        selectMessageRow(this.dataSource.createQueryBuilder(Message, 'm'), 'm')
          .where('m.sessionId = :newSessionId', { newSessionId: p.newSessionId })
          .andWhere('m.renameId = :renameId', { renameId: p.renameId })
          .orderBy('m.timestamp', 'ASC')
          .addOrderBy('m.id', 'ASC')
          .getQueryAndParameters(),
      ),
    };
    return this.compiledRenameQueries;
  }

  /**
   * Moves every message the owner has in `oldSessionId` to `newSessionId` (merging into it if it
   * already has messages) and returns the moved messages as a JSON array, ordered by timestamp then
   * id, ready to send.
   *
   * One bulk UPDATE in one transaction moves them all or none; it stamps the moved rows with this
   * rename's id. The same transaction reads exactly those rows back (PostgreSQL: the UPDATE's own
   * RETURNING rows, sorted, in one statement; SQLite: a re-select by the stamp) into a spool, and
   * commits before anything is answered: a 200 means committed, and the client then reads at its
   * own pace with no connection, lock or transaction held for it. The statement count is the same
   * for one message or a million, no id list is ever sent to the database, and memory stays
   * bounded (the spool overflows to a file).
   */
  async rename(
    ownerId: string,
    oldSessionId: string,
    newSessionId: string,
    onConflict: SessionConflictPolicy = 'merge',
  ): Promise<ResponseSpool> {
    const renameId = randomUUID();
    const rejectConflict = onConflict === 'reject' && newSessionId !== oldSessionId;
    const values = { newSessionId, renameId, oldSessionId, ownerId };
    const spool = new ResponseSpool(this.config.scale.spoolDirectory);
    try {
      const moved = await this.transactions.runReading(async (manager, read) => {
        spool.clear();
        if (rejectConflict) {
          await this.lockSessionId(manager, ownerId, newSessionId);
        }
        const queries = this.renameQueries;
        let rows: AsyncIterable<Row> | Iterable<Row>;
        if (this.dialect.returnsChangedRows) {
          rows = read(queries.updateReturning.sql, queries.updateReturning.parameters(values));
        } else {
          await manager.query(queries.update.sql, queries.update.parameters(values));
          rows = read(queries.reselect.sql, queries.reselect.parameters(values));
        }
        for await (const row of rows) {
          spool.add(serializeMessage(row as unknown as MessageRow));
        }
        // Checked after the move so that a missing old session is a 404 before it is a conflict;
        // the throw rolls the move back.
        if (rejectConflict && spool.count > 0) {
          await this.refuseMergedSession(manager, ownerId, newSessionId, renameId);
        }
        return spool.count;
      });
      if (moved === 0) {
        throw new SessionNotFoundError();
      }
      this.metrics.recordRename(moved);
      return spool;
    } catch (error) {
      spool.discard();
      throw error;
    }
  }

  /**
   * The caller's session ids (optionally within one flow), most recently active first: by their
   * newest message, then by id.
   */
  listSessionIds(ownerId: string, flowId?: string): AsyncIterable<string> {
    const builder = this.dataSource
      .createQueryBuilder(Message, 'm')
      .select('m.sessionId', 'session_id')
      .where(`m.flowId IN ${ownedFlowIds(this.dataSource)}`, { ownerId })
      .groupBy('m.sessionId')
      .orderBy('MAX(m.timestamp)', 'DESC')
      .addOrderBy('m.sessionId', 'ASC');
    if (flowId !== undefined) {
      builder.andWhere('m.flowId = :flowId', { flowId });
    }
    const [sql, parameters] = builder.getQueryAndParameters();
    return (async function* (rows: AsyncIterable<Record<string, unknown>>) {
      for await (const row of rows) {
        yield JSON.stringify(row.session_id);
      }
    })(this.rows.stream(sql, parameters));
  }

  /** Deletes every message the caller has in the session; nothing to delete is not an error. */
  async deleteSession(ownerId: string, sessionId: string): Promise<void> {
    await this.transactions.run((manager) =>
      manager
        .createQueryBuilder()
        .delete()
        .from(Message)
        .where('session_id = :sessionId', { sessionId })
        .andWhere(`flow_id IN ${ownedFlowIds(this.dataSource)}`, { ownerId })
        .execute(),
    );
  }

  /**
   * Deletes every message the caller has in any of the sessions (at most 500 ids, checked by the
   * caller) and returns how many of those sessions had messages.
   *
   * The count must be of what this request deleted: where transactions run side by side
   * (PostgreSQL) a count taken before the DELETE would also count rows a concurrent delete removes
   * first, so there one statement deletes and counts. Where they take turns (SQLite), the count
   * before the DELETE is exact.
   */
  async deleteSessions(ownerId: string, sessionIds: string[]): Promise<number> {
    const unique = [...new Set(sessionIds)];
    return this.transactions.run(async (manager) => {
      const deletion = manager
        .createQueryBuilder()
        .delete()
        .from(Message)
        .where('session_id IN (:...sessionIds)', { sessionIds: unique })
        .andWhere(`flow_id IN ${ownedFlowIds(this.dataSource)}`, { ownerId });
      if (this.dialect.returnsChangedRows) {
        const [sql, parameters] = deletion.returning('"session_id"').getQueryAndParameters();
        const [row] = await manager.query<{ count: string }[]>(
          `WITH "deleted" AS (${sql}) SELECT COUNT(DISTINCT "session_id") AS "count" FROM "deleted"`,
          parameters,
        );
        return Number(row?.count ?? 0);
      }
      const counted = await manager
        .createQueryBuilder(Message, 'm')
        .select('COUNT(DISTINCT m.sessionId)', 'count')
        .where('m.sessionId IN (:...sessionIds)', { sessionIds: unique })
        .andWhere(`m.flowId IN ${ownedFlowIds(this.dataSource)}`, { ownerId })
        .getRawOne<{ count: string | number }>();
      await deletion.execute();
      return Number(counted?.count ?? 0);
    });
  }

  /**
   * For on_conflict=reject: a transaction-scoped lock on (owner, new session), so that two
   * concurrent rejecting renames into the same id take turns and never both pass the check.
   */
  private lockSessionId(manager: EntityManager, ownerId: string, sessionId: string) {
    return this.dialect.lockKeys(manager, [`session:${ownerId}:${sessionId}`]);
  }

  /** Refuses the rename when the new session already held messages of the caller's. */
  private async refuseMergedSession(
    manager: EntityManager,
    ownerId: string,
    sessionId: string,
    renameId: string,
  ): Promise<void> {
    const exists = await manager
      .createQueryBuilder(Message, 'm')
      .where('m.sessionId = :sessionId', { sessionId })
      .andWhere(`m.flowId IN ${ownedFlowIds(this.dataSource)}`, { ownerId })
      .andWhere('(m.renameId IS NULL OR m.renameId <> :renameId)', { renameId })
      .getExists();
    if (exists) {
      throw new SessionAlreadyExistsError(sessionId);
    }
  }
}
