import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { DomainError } from '../common/errors/domain.error';
import { isUniqueViolation } from '../database/database-errors';
import { firstExistingId, insertRows } from '../database/insert-rows';
import { TransactionRunner } from '../database/transaction-runner';
import { FlowClaimService } from './flow-claim.service';

/** One batch for BatchWriter: rows ready to insert, and the rules they are stored by. */
export interface Batch<T extends ObjectLiteral> {
  entity: EntityTarget<T>;
  rows: T[];
  /** The entity property holding the primary key, and the flow id. */
  idProperty: keyof T & string;
  flowIdOf: (row: T) => string;
  /** The ids the caller gave (the others were generated): the ones that may already exist. */
  givenIds: string[];
  alreadyExists: (id: string) => DomainError;
  /** Rows per INSERT, so that none outgrows a driver's parameter limit. */
  rowsPerInsert: number;
  /** Trims one written flow to its retention caps, in the same transaction (under its lock). */
  trim?: (manager: EntityManager, flowId: string) => Promise<void>;
}

/**
 * The ingest rule every write route shares, in one transaction, all or nothing: unseen flows
 * become the caller's and another user's flow refuses the batch (404), an id that exists refuses
 * it (409), then the rows go in and, for logs with retention, each flow written is trimmed.
 */
@Injectable()
export class BatchWriter {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
    private readonly flows: FlowClaimService,
  ) {}

  async write<T extends ObjectLiteral>(
    ownerId: string,
    now: string,
    batch: Batch<T>,
  ): Promise<void> {
    const refuseExisting = async (manager: EntityManager) => {
      const existing = await firstExistingId(
        manager,
        batch.entity,
        batch.idProperty,
        batch.givenIds,
      );
      if (existing) {
        throw batch.alreadyExists(existing);
      }
    };
    try {
      await this.transactions.run(async (manager) => {
        const flowIds = await this.flows.claim(
          manager,
          ownerId,
          batch.rows.map(batch.flowIdOf),
          now,
          {
            lock: batch.trim !== undefined,
          },
        );
        await refuseExisting(manager);
        await insertRows(manager, batch.entity, batch.rows, batch.rowsPerInsert);
        for (const flowId of batch.trim ? flowIds : []) {
          await batch.trim!(manager, flowId);
        }
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        // A concurrent request stored one of these ids between our check and our insert.
        await refuseExisting(this.dataSource.manager);
      }
      throw error;
    }
  }
}
