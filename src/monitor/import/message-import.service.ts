import { Injectable } from '@nestjs/common';
import { createReadStream, createWriteStream, WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';
import { EntityManager } from 'typeorm';
import { AuthenticatedUser } from '../../auth/authenticated-user';
import { nowIso } from '../../common/time';
import {
  RequestValidationError,
  ValidationIssue,
} from '../../common/validation/request-validation.error';
import { validateInput } from '../../common/validation/validate-input';
import { insertRows } from '../../database/insert-rows';
import { TransactionRunner } from '../../database/transaction-runner';
import { CreateMessageDto } from '../dto/create-message.dto';
import { MessageAlreadyExistsError } from '../errors/message-already-exists.error';
import { FlowClaimService } from '../flow-claim.service';
import { messageEntityOf } from '../message-entity.mapper';
import { Message } from '../message.entity';
import { ImportResultDto } from './dto/import-result.dto';
import { UnsupportedImportTypeError } from './errors/unsupported-import-type.error';
import { LineTooLongError, ndjsonLines } from './ndjson-lines';

/** Content types an NDJSON body may come with (curl's --data-binary sends the form type). */
const NDJSON_TYPES = [
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'text/plain',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
];

/** The longest line read: far more than any message the ingest's 10 MiB body limit lets in. */
export const MAX_IMPORT_LINE_CHARS = 10 * 1024 * 1024;

/** Lines per database round: bounded memory, and far below every driver's parameter limit. */
const IMPORT_BATCH_LINES = 500;

/** Rows per INSERT (15 columns). */
const INSERT_CHUNK_ROWS = 200;

/**
 * Restores an export: NDJSON of MessageResponse lines, stored for the caller with the ingest's
 * rules, in constant memory whatever the size, all or nothing.
 *
 * 1. The body is read line by line and each line is validated as it comes; the valid lines go to
 *    a spool file, so nothing waits on the client while a database transaction is open. The
 *    first bad line answers 422 naming it (`loc: ["body", <line number>, ...]`), and nothing is
 *    stored.
 * 2. The spool file is stored in one transaction, a batch of lines at a time. A message id that
 *    is already the caller's is skipped (so rerunning an import changes nothing); someone else's
 *    id is a 409 and someone else's flow a 404, as on ingest, and then nothing is stored.
 */
@Injectable()
export class MessageImportService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly flows: FlowClaimService,
  ) {}

  async import(
    owner: AuthenticatedUser,
    contentType: string | undefined,
    body: AsyncIterable<Buffer | string>,
  ): Promise<ImportResultDto> {
    const type = (contentType ?? 'application/x-ndjson').split(';')[0].trim().toLowerCase();
    if (!NDJSON_TYPES.includes(type)) {
      throw new UnsupportedImportTypeError();
    }
    const folder = await mkdtemp(path.join(tmpdir(), 'monitor-import-'));
    const spool = path.join(folder, 'lines.ndjson');
    try {
      const issue = await this.spoolValidLines(body, spool);
      if (issue) {
        throw new RequestValidationError([issue]);
      }
      return await this.store(owner.id, spool);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }

  /**
   * Validates every line and writes the valid ones to `file`; returns the first line's problem.
   * After a problem the rest of the body is still read (and dropped), so that the client gets
   * its answer instead of a connection reset mid-upload.
   */
  private async spoolValidLines(
    body: AsyncIterable<Buffer | string>,
    file: string,
  ): Promise<ValidationIssue | undefined> {
    const out = createWriteStream(file, { encoding: 'utf8' });
    let issue: ValidationIssue | undefined;
    try {
      for await (const line of ndjsonLines(body, MAX_IMPORT_LINE_CHARS)) {
        if (issue) {
          continue;
        }
        const checked = this.checkLine(line.number, line.text);
        if ('issue' in checked) {
          issue = checked.issue;
        } else {
          // The validated form (ids lowercased, timestamps normalized), read back as it is.
          await write(out, `${JSON.stringify(checked.value)}\n`);
        }
      }
    } catch (error) {
      if (!(error instanceof LineTooLongError)) {
        throw error;
      }
      issue ??= {
        type: 'string_too_long',
        loc: ['body', error.lineNumber],
        msg: `Line ${error.lineNumber} is over ${MAX_IMPORT_LINE_CHARS} characters`,
        input: null,
      };
      // Drop what is left of the body; the answer is already decided.
      for await (const _chunk of body) {
        // draining
      }
    } finally {
      out.end();
      await once(out, 'close');
    }
    return issue;
  }

  private checkLine(
    number: number,
    text: string,
  ): { value: CreateMessageDto } | { issue: ValidationIssue } {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return {
        issue: {
          type: 'json_invalid',
          loc: ['body', number],
          msg: `JSON decode error on line ${number}: ${(error as Error).message}`,
          input: text.length > 200 ? `${text.slice(0, 200)}...` : text,
        },
      };
    }
    const result = validateInput(CreateMessageDto, parsed, ['body', number], true);
    return result.value ? { value: result.value } : { issue: result.issues[0] };
  }

  private async store(ownerId: string, spool: string): Promise<ImportResultDto> {
    const now = nowIso();
    return this.transactions.run(async (manager) => {
      const result = { stored: 0, skipped: 0 };
      let batch: CreateMessageDto[] = [];
      const flush = async () => {
        const { stored, skipped } = await this.storeBatch(manager, ownerId, batch, now);
        result.stored += stored;
        result.skipped += skipped;
        batch = [];
      };
      for await (const line of ndjsonLines(createReadStream(spool), MAX_IMPORT_LINE_CHARS)) {
        batch.push(JSON.parse(line.text) as CreateMessageDto);
        if (batch.length === IMPORT_BATCH_LINES) {
          await flush();
        }
      }
      if (batch.length > 0) {
        await flush();
      }
      return result;
    });
  }

  private async storeBatch(
    manager: EntityManager,
    ownerId: string,
    items: CreateMessageDto[],
    now: string,
  ): Promise<{ stored: number; skipped: number }> {
    await this.flows.claim(
      manager,
      ownerId,
      items.map((item) => item.flow_id),
      now,
    );
    const givenIds = items.flatMap((item) => (item.id ? [item.id] : []));
    const existing =
      givenIds.length === 0
        ? []
        : await manager
            .createQueryBuilder(Message, 'm')
            .leftJoin('flow', 'f', 'f.id = m.flow_id')
            .select('m.id', 'id')
            .addSelect('f.user_id', 'owner')
            .where('m.id IN (:...ids)', { ids: givenIds })
            .getRawMany<{ id: string; owner: string | null }>();
    const foreign = existing.find((row) => row.owner !== ownerId);
    if (foreign) {
      throw new MessageAlreadyExistsError(foreign.id);
    }
    const seen = new Set(existing.map((row) => row.id));
    const fresh: Message[] = [];
    for (const item of items) {
      if (item.id !== undefined && seen.has(item.id)) {
        continue;
      }
      if (item.id !== undefined) {
        seen.add(item.id);
      }
      fresh.push(messageEntityOf(item, now));
    }
    await insertRows(manager, Message, fresh, INSERT_CHUNK_ROWS);
    return { stored: fresh.length, skipped: items.length - fresh.length };
  }
}

/** Writes with backpressure: the spool file never makes the body pile up in memory. */
async function write(out: WriteStream, text: string): Promise<void> {
  if (!out.write(text)) {
    await once(out, 'drain');
  }
}
