import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { User } from '../../auth/user.entity';
import { UsersService } from '../../auth/users.service';
import { nowIso } from '../../common/time';
import { insertRows } from '../../database/insert-rows';
import { TransactionRunner } from '../../database/transaction-runner';
import { VertexBuild } from '../../monitor/builds/vertex-build.entity';
import { VERTEX_BUILD_COLUMNS } from '../../monitor/builds/vertex-build.mapper';
import { Flow } from '../../monitor/flow.entity';
import { MESSAGE_ROW_COLUMNS } from '../../monitor/message-row';
import { Message } from '../../monitor/message.entity';
import { maskSecrets } from '../../monitor/transactions/secret-masking';
import { TransactionLog } from '../../monitor/transactions/transaction-log.entity';
import { TRANSACTION_COLUMNS } from '../../monitor/transactions/transaction.mapper';
import { ImportProgress } from './import-progress';
import { emptyTableSummary, ImportSummary, skip, TableSummary } from './import-summary';
import { LangflowRow, LangflowSource, LangflowTable } from './langflow-source';
import {
  booleanOf,
  fieldText,
  finiteNumberOf,
  isPlainObject,
  jsonOf,
  objectText,
  orNull,
  timestampOf,
  uuidOf,
} from './langflow-values';

/* Langflow's columns have the names this service's API uses (the API copied Langflow's). */

/** Rows per batch: one transaction each, bounded memory, far below every parameter limit. */
const BATCH_ROWS = 500;
const INSERT_CHUNK_ROWS = 100;

/** A source row as an entity to store, or the reason it is not brought over. */
type Mapped<T> = { entity: T; id: string } | { skip: string };

/**
 * Brings a Langflow database over: users (by username; a new one gets a new API key), flow
 * ownership, messages, transactions and vertex builds. Rows are read as they come and stored in
 * batches, one transaction each; a row whose id is here already is left alone, so running the
 * import again changes nothing, and an interrupted run is finished by running it again.
 * Transactions are masked as the API masks them. Retention caps apply from each flow's next write.
 */
@Injectable()
export class LangflowImporter {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
    private readonly users: UsersService,
  ) {}

  async run(source: LangflowSource, progress: ImportProgress): Promise<ImportSummary> {
    const summary: ImportSummary = {
      source: source.description,
      tables: {
        users: emptyTableSummary(),
        flows: emptyTableSummary(),
        messages: emptyTableSummary(),
        transactions: emptyTableSummary(),
        builds: emptyTableSummary(),
      },
      newKeys: [],
    };
    const userIds = await this.importUsers(source, progress, summary);
    const flowOwners = await this.importFlows(source, progress, summary.tables.flows, userIds);
    const now = nowIso();
    await this.importRows(source, progress, summary.tables.messages, {
      table: 'message',
      label: 'messages',
      wanted: [...MESSAGE_ROW_COLUMNS, 'error'],
      orderBy: 'id',
      entity: Message,
      idProperty: 'id',
      map: (row) => mapMessage(row, flowOwners, now),
    });
    await this.importRows(source, progress, summary.tables.transactions, {
      table: 'transaction',
      label: 'transactions',
      wanted: [...TRANSACTION_COLUMNS],
      orderBy: 'id',
      entity: TransactionLog,
      idProperty: 'id',
      map: (row) => mapTransaction(row, flowOwners, now),
    });
    await this.importRows(source, progress, summary.tables.builds, {
      table: 'vertex_build',
      label: 'builds',
      wanted: [...VERTEX_BUILD_COLUMNS],
      orderBy: 'build_id',
      entity: VertexBuild,
      idProperty: 'buildId',
      map: (row) => mapBuild(row, flowOwners, now),
    });
    return summary;
  }

  /** Langflow user id -> this service's user id. */
  private async importUsers(
    source: LangflowSource,
    progress: ImportProgress,
    summary: ImportSummary,
  ): Promise<Map<string, string>> {
    const counts = summary.tables.users;
    const ids = new Map<string, string>();
    const columns = await source.columns('user');
    if (columns.length === 0) {
      return ids;
    }
    progress.start('users', await source.count('user'));
    try {
      const wanted = ['id', 'username', 'is_active', 'is_superuser'].filter((c) =>
        columns.includes(c),
      );
      for await (const row of source.rows('user', wanted, 'username')) {
        progress.advance(1);
        const langflowId = uuidOf(row.id);
        const username = fieldText(row.username, { min: 1, max: 255, noControl: true });
        if (!langflowId || !username) {
          skip(counts, 'not a valid user');
          continue;
        }
        const existing = await this.dataSource.manager.findOneBy(User, { username });
        if (existing) {
          ids.set(langflowId, existing.id);
          counts.present += 1;
          continue;
        }
        const created = await this.users.create(username, {
          superuser: booleanOf(row.is_superuser, false),
        });
        if (!booleanOf(row.is_active, true)) {
          await this.users.deactivate(username);
        }
        ids.set(langflowId, created.user.id);
        summary.newKeys.push({ username, key: created.apiKey.plainKey });
        counts.added += 1;
      }
    } finally {
      progress.stop();
    }
    return ids;
  }

  /** The flows whose rows may come over: flow id -> its owner here. */
  private async importFlows(
    source: LangflowSource,
    progress: ImportProgress,
    counts: TableSummary,
    userIds: Map<string, string>,
  ): Promise<Map<string, string>> {
    const owners = new Map<string, string>();
    if ((await source.columns('flow')).length === 0) {
      return owners;
    }
    progress.start('flows', await source.count('flow'));
    try {
      const now = nowIso();
      let batch: { id: string; userId: string }[] = [];
      const flush = async () => {
        const here = await this.dataSource
          .createQueryBuilder(Flow, 'f')
          .select(['f.id', 'f.userId'])
          .where('f.id IN (:...ids)', { ids: batch.map((flow) => flow.id) })
          .getMany();
        const ownerHere = new Map(here.map((flow) => [flow.id, flow.userId]));
        const fresh = batch.filter((flow) => !ownerHere.has(flow.id));
        for (const flow of batch) {
          const current = ownerHere.get(flow.id);
          if (current === undefined || current === flow.userId) {
            owners.set(flow.id, flow.userId);
            counts[current === undefined ? 'added' : 'present'] += 1;
          } else {
            skip(counts, "another user's flow here");
          }
        }
        await this.transactions.run((manager) =>
          insertRows(
            manager,
            Flow,
            fresh.map((flow) => ({ ...flow, createdAt: now })),
            INSERT_CHUNK_ROWS,
          ),
        );
        progress.advance(batch.length);
        batch = [];
      };
      for await (const row of source.rows('flow', ['id', 'user_id'], 'id')) {
        const id = uuidOf(row.id);
        const userId = userIds.get(uuidOf(row.user_id) ?? '');
        if (!id || !userId) {
          skip(counts, id ? 'no owner' : 'not a valid flow');
          progress.advance(1);
          continue;
        }
        batch.push({ id, userId });
        if (batch.length === BATCH_ROWS) {
          await flush();
        }
      }
      if (batch.length > 0) {
        await flush();
      }
    } finally {
      progress.stop();
    }
    return owners;
  }

  private async importRows<T extends ObjectLiteral>(
    source: LangflowSource,
    progress: ImportProgress,
    counts: TableSummary,
    spec: {
      table: LangflowTable;
      label: string;
      wanted: string[];
      orderBy: string;
      entity: EntityTarget<T>;
      idProperty: keyof T & string;
      map: (row: LangflowRow) => Mapped<T>;
    },
  ): Promise<void> {
    const columns = await source.columns(spec.table);
    if (columns.length === 0) {
      return;
    }
    progress.start(spec.label, await source.count(spec.table));
    try {
      let batch: { entity: T; id: string }[] = [];
      const flush = async () => {
        const here = await this.dataSource
          .createQueryBuilder(spec.entity, 'e')
          .select(`e.${spec.idProperty}`, 'id')
          .where(`e.${spec.idProperty} IN (:...ids)`, { ids: batch.map((item) => item.id) })
          .getRawMany<{ id: string }>();
        const present = new Set(here.map((row) => row.id));
        const fresh = batch.filter((item) => !present.has(item.id)).map((item) => item.entity);
        await this.transactions.run((manager) =>
          insertRows(manager, spec.entity, fresh, INSERT_CHUNK_ROWS),
        );
        counts.added += fresh.length;
        counts.present += batch.length - fresh.length;
        progress.advance(batch.length);
        batch = [];
      };
      const wanted = spec.wanted.filter((column) => columns.includes(column));
      for await (const row of source.rows(spec.table, wanted, spec.orderBy)) {
        const mapped = spec.map(row);
        if ('skip' in mapped) {
          skip(counts, mapped.skip);
          progress.advance(1);
          continue;
        }
        // Earlier batches are in the database by now; a repeat within this one is caught here.
        if (batch.some((item) => item.id === mapped.id)) {
          skip(counts, 'repeated id');
          progress.advance(1);
          continue;
        }
        batch.push(mapped);
        if (batch.length === BATCH_ROWS) {
          await flush();
        }
      }
      if (batch.length > 0) {
        await flush();
      }
    } finally {
      progress.stop();
    }
  }
}

function flowOf(row: LangflowRow, flowOwners: Map<string, string>): string | { skip: string } {
  const flowId = uuidOf(row.flow_id);
  if (!flowId) {
    return { skip: 'no flow' };
  }
  return flowOwners.has(flowId) ? flowId : { skip: 'flow not brought over' };
}

function jsonText(
  value: unknown,
  accept: (parsed: unknown) => boolean,
  fallback: string,
): string | undefined {
  if (value === null || value === undefined) {
    return fallback;
  }
  const parsed = jsonOf(value);
  if (parsed === null) {
    return fallback;
  }
  return accept(parsed) ? JSON.stringify(parsed) : undefined;
}

function mapMessage(
  row: LangflowRow,
  flowOwners: Map<string, string>,
  now: string,
): Mapped<Message> {
  const id = uuidOf(row.id);
  const flowId = flowOf(row, flowOwners);
  if (!id) {
    return { skip: 'not a valid message' };
  }
  if (typeof flowId !== 'string') {
    return flowId;
  }
  const sender = fieldText(row.sender, { min: 1, max: 255 });
  const senderName = fieldText(row.sender_name, { min: 1, max: 255 });
  const sessionId = fieldText(row.session_id, { min: 1, max: 255, noControl: true });
  const text = row.text === null || row.text === undefined ? '' : fieldText(row.text);
  const contextId = orNull(row.context_id, (v) => fieldText(v, { max: 255 }));
  const files = jsonText(
    row.files,
    (v) => Array.isArray(v) && v.every((f) => typeof f === 'string'),
    '[]',
  );
  const properties = jsonText(row.properties, isPlainObject, '{}');
  const contentBlocks = jsonText(
    row.content_blocks,
    (v) => Array.isArray(v) && v.every(isPlainObject),
    '[]',
  );
  // Langflow 1.11+ only: an older database has neither column, and each reads as null.
  const duration = orNull(row.duration, finiteNumberOf);
  const sessionMetadata = objectText(row.session_metadata);
  const category =
    row.category === null || row.category === undefined
      ? 'message'
      : fieldText(row.category, { min: 1, max: 255 });
  const timestamp =
    row.timestamp === null || row.timestamp === undefined ? now : timestampOf(row.timestamp);
  if (
    !sender ||
    !senderName ||
    !sessionId ||
    text === undefined ||
    contextId === undefined ||
    !files ||
    !properties ||
    !contentBlocks ||
    duration === undefined ||
    sessionMetadata === undefined ||
    !category ||
    !timestamp
  ) {
    return { skip: 'not a valid message' };
  }
  return {
    id,
    entity: Object.assign(new Message(), {
      id,
      flowId,
      timestamp,
      sender,
      senderName,
      sessionId,
      contextId,
      text,
      files,
      edit: booleanOf(row.edit, false),
      error: booleanOf(row.error, false),
      properties,
      category,
      contentBlocks,
      duration,
      sessionMetadata,
      renameId: null,
    }),
  };
}

function mapTransaction(
  row: LangflowRow,
  flowOwners: Map<string, string>,
  now: string,
): Mapped<TransactionLog> {
  const id = uuidOf(row.id);
  const flowId = flowOf(row, flowOwners);
  if (!id) {
    return { skip: 'not a valid transaction' };
  }
  if (typeof flowId !== 'string') {
    return flowId;
  }
  const inputs = objectText(row.inputs, maskSecrets);
  const outputs = objectText(row.outputs, maskSecrets);
  const vertexId = fieldText(row.vertex_id, { min: 1, max: 255 });
  const targetId = orNull(row.target_id, (v) => fieldText(v, { max: 255 }));
  const status = row.status === 'success' || row.status === 'error' ? row.status : undefined;
  const error = orNull(row.error, (v) => fieldText(v));
  const timestamp =
    row.timestamp === null || row.timestamp === undefined ? now : timestampOf(row.timestamp);
  if (
    inputs === undefined ||
    outputs === undefined ||
    !vertexId ||
    targetId === undefined ||
    !status ||
    error === undefined ||
    !timestamp
  ) {
    return { skip: 'not a valid transaction' };
  }
  return {
    id,
    entity: Object.assign(new TransactionLog(), {
      id,
      flowId,
      timestamp,
      vertexId,
      targetId,
      inputs,
      outputs,
      status,
      error,
    }),
  };
}

function mapBuild(
  row: LangflowRow,
  flowOwners: Map<string, string>,
  now: string,
): Mapped<VertexBuild> {
  const buildId = uuidOf(row.build_id);
  const flowId = flowOf(row, flowOwners);
  if (!buildId) {
    return { skip: 'not a valid build' };
  }
  if (typeof flowId !== 'string') {
    return flowId;
  }
  const data = objectText(row.data);
  const artifacts = objectText(row.artifacts);
  const vertexId = fieldText(row.id, { min: 1, max: 255 });
  const jobId = orNull(row.job_id, (v) => uuidOf(v));
  const params = orNull(row.params, (v) => fieldText(v));
  const timestamp =
    row.timestamp === null || row.timestamp === undefined ? now : timestampOf(row.timestamp);
  if (
    data === undefined ||
    artifacts === undefined ||
    !vertexId ||
    jobId === undefined ||
    params === undefined ||
    !timestamp
  ) {
    return { skip: 'not a valid build' };
  }
  return {
    id: buildId,
    entity: Object.assign(new VertexBuild(), {
      buildId,
      vertexId,
      flowId,
      jobId,
      timestamp,
      data,
      artifacts,
      params,
      valid: booleanOf(row.valid, true),
    }),
  };
}
