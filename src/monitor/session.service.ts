import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { CompiledQuery, compileQuery } from '../database/compiled-query';
import { RowStreamer } from '../database/row-streamer';
import { TransactionRunner } from '../database/transaction-runner';
import { ServiceMetrics } from '../metrics/service-metrics';
import { SessionConflictPolicy } from './dto/update-session.query.dto';
import { SessionAlreadyExistsError } from './errors/session-already-exists.error';
import { SessionNotFoundError } from './errors/session-not-found.error';
import { MESSAGE_ROW_COLUMNS, OWNED_FLOW_IDS, selectMessageRow } from './message-row';
import { Message } from './message.entity';
import { serializeMessages } from './message.serializer';

@Injectable()
export class SessionService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
    private readonly rows: RowStreamer,
    private readonly metrics: ServiceMetrics,
  ) {}

  private readonly recordRename = (moved: number) => this.metrics.recordRename(moved);

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
        .andWhere(`flow_id IN ${OWNED_FLOW_IDS}`, { ownerId: p.ownerId })
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
   * already has messages) and returns the moved messages as JSON, ordered by timestamp then id.
   *
   * One bulk UPDATE in one transaction moves them all or none; it stamps the moved rows with this
   * rename's id, and the re-select reads exactly those rows back through a cursor. The statement
   * count is the same for one message or a million, no id list is ever sent to the database, and
   * the answer is streamed rather than built whole.
   */
  async rename(
    ownerId: string,
    oldSessionId: string,
    newSessionId: string,
    onConflict: SessionConflictPolicy = 'merge',
  ): Promise<AsyncIterable<string>> {
    const renameId = randomUUID();
    const rejectConflict = onConflict === 'reject' && newSessionId !== oldSessionId;
    if (this.dataSource.options.type === 'postgres' && !rejectConflict) {
      return this.renameInOneStatement(ownerId, oldSessionId, newSessionId, renameId);
    }
    const { result: moved, rows } = await this.transactions.runThenRead(
      async (manager) => {
        if (rejectConflict) {
          await this.lockSessionId(manager, ownerId, newSessionId);
        }
        const update = this.renameQueries.update;
        const result = await manager.queryRunner!.query(
          update.sql,
          update.parameters({ newSessionId, renameId, oldSessionId, ownerId }),
          true,
        );
        const affected = result.affected ?? 0;
        // Checked after the move so that a missing old session is a 404 before it is a conflict;
        // the throw rolls the move back.
        if (rejectConflict && affected > 0) {
          await this.refuseMergedSession(manager, ownerId, newSessionId, renameId);
        }
        return affected;
      },
      // Read back as of the commit: a rename that moves these messages on right afterwards must
      // not empty this answer.
      (affected) => {
        const reselect = this.renameQueries.reselect;
        return affected === 0
          ? undefined
          : [reselect.sql, reselect.parameters({ newSessionId, renameId })];
      },
    );
    if (moved === 0 || !rows) {
      throw new SessionNotFoundError();
    }
    return serializeMessages(rows, this.recordRename);
  }

  /**
   * PostgreSQL, merging renames: the UPDATE and the read-back in one statement (a data-modifying
   * WITH whose RETURNING rows are sorted and streamed), one round trip instead of six. It answers
   * exactly the rows it moved, as it moved them, whatever commits afterwards.
   */
  private async renameInOneStatement(
    ownerId: string,
    oldSessionId: string,
    newSessionId: string,
    renameId: string,
  ): Promise<AsyncIterable<string>> {
    const statement = this.renameQueries.updateReturning;
    const rows = await this.transactions.streamChange(
      statement.sql,
      statement.parameters({ newSessionId, renameId, oldSessionId, ownerId }),
    );
    if (!rows) {
      throw new SessionNotFoundError();
    }
    return serializeMessages(rows, this.recordRename);
  }

  /**
   * The caller's session ids (optionally within one flow), most recently active first: by their
   * newest message, then by id.
   */
  listSessionIds(ownerId: string, flowId?: string): AsyncIterable<string> {
    const builder = this.dataSource
      .createQueryBuilder(Message, 'm')
      .select('m.sessionId', 'session_id')
      .where(`m.flowId IN ${OWNED_FLOW_IDS}`, { ownerId })
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
        .andWhere(`flow_id IN ${OWNED_FLOW_IDS}`, { ownerId })
        .execute(),
    );
  }

  /**
   * Deletes every message the caller has in any of the sessions (at most 500 ids, checked by the
   * caller) and returns how many of those sessions had messages.
   *
   * The count must be of what this request deleted: on PostgreSQL a count taken before the DELETE
   * would also count rows a concurrent delete removes first, so there one statement deletes and
   * counts. SQLite transactions take turns, so there the count before the DELETE is exact.
   */
  async deleteSessions(ownerId: string, sessionIds: string[]): Promise<number> {
    const unique = [...new Set(sessionIds)];
    return this.transactions.run(async (manager) => {
      const deletion = manager
        .createQueryBuilder()
        .delete()
        .from(Message)
        .where('session_id IN (:...sessionIds)', { sessionIds: unique })
        .andWhere(`flow_id IN ${OWNED_FLOW_IDS}`, { ownerId });
      if (this.dataSource.options.type === 'postgres') {
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
        .andWhere(`m.flowId IN ${OWNED_FLOW_IDS}`, { ownerId })
        .getRawOne<{ count: string | number }>();
      await deletion.execute();
      return Number(counted?.count ?? 0);
    });
  }

  /**
   * For on_conflict=reject on PostgreSQL: a transaction-scoped advisory lock on (owner, new
   * session), so that two concurrent rejecting renames into the same id take turns and never both
   * pass the check. SQLite transactions already take turns.
   */
  private async lockSessionId(
    manager: EntityManager,
    ownerId: string,
    sessionId: string,
  ): Promise<void> {
    if (this.dataSource.options.type === 'postgres') {
      await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
        `session:${ownerId}:${sessionId}`,
      ]);
    }
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
      .andWhere(`m.flowId IN ${OWNED_FLOW_IDS}`, { ownerId })
      .andWhere('(m.renameId IS NULL OR m.renameId <> :renameId)', { renameId })
      .getExists();
    if (exists) {
      throw new SessionAlreadyExistsError(sessionId);
    }
  }
}
