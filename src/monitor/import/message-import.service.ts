import { Inject, Injectable } from '@nestjs/common';
import { createReadStream, createWriteStream, WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';
import { EntityManager } from 'typeorm';
import { AuthenticatedUser } from '../../auth/authenticated-user';
import { exceedsJsonDepth } from '../../common/http/json-depth';
import { nowIso } from '../../common/time';
import {
  RequestValidationError,
  ValidationIssue,
} from '../../common/validation/request-validation.error';
import { validateInput } from '../../common/validation/validate-input';
import { AppConfig } from '../../config/app.config';
import { APP_CONFIG } from '../../config/app-config.token';
import { insertRows } from '../../database/insert-rows';
import { TransactionRunner } from '../../database/transaction-runner';
import { CreateMessageDto } from '../dto/create-message.dto';
import { MessageAlreadyExistsError } from '../errors/message-already-exists.error';
import { FlowClaimService } from '../flow-claim.service';
import { messageEntityOf } from '../message-entity.mapper';
import { Message } from '../message.entity';
import { ImportResultDto } from './dto/import-result.dto';
import { LineTooLongError } from './errors/line-too-long.error';
import { ImportUpload } from './import-upload';
import { NdjsonReader, NumberedLine } from './ndjson-reader';

/** Lines per database round: bounded memory, and far below every driver's parameter limit. */
const IMPORT_BATCH_LINES = 500;

/** Rows per INSERT (15 columns). */
const INSERT_CHUNK_ROWS = 200;

/**
 * Restores an export: NDJSON of MessageResponse lines, stored for the caller with the ingest's
 * rules, in constant memory whatever the size, all or nothing.
 *
 * 1. The body (decompressed when it comes gzipped, as a backup file often is) is read line by
 *    line, and each line is held to the rules of a JSON body (BODY_LIMIT_BYTES, JSON_MAX_DEPTH)
 *    and validated as it comes; the valid lines go to a spool file, so nothing waits on the client
 *    while a database transaction is open. The first bad line answers 422 naming it
 *    (`loc: ["body", <line number>, ...]`), a body that does not decompress too (naming the line
 *    it broke in), and nothing is stored.
 * 2. The spool file is stored in one transaction, a batch of lines at a time. A message id that
 *    is already the caller's is skipped (so rerunning an import changes nothing); someone else's
 *    id is a 409 and someone else's flow a 404, as on ingest, and then nothing is stored.
 */
@Injectable()
export class MessageImportService {
  /** The longest line, in bytes (decompressed): the JSON body limit, since a line is one body. */
  private readonly maxLineBytes: number;
  private readonly maxDepth: number;

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly flows: FlowClaimService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.maxLineBytes = config.bodyLimitBytes;
    this.maxDepth = config.http.jsonMaxDepth;
  }

  async import(owner: AuthenticatedUser, request: IncomingMessage): Promise<ImportResultDto> {
    const upload = new ImportUpload(request);
    let folder: string | undefined;
    try {
      folder = await mkdtemp(path.join(tmpdir(), 'monitor-import-'));
      const spool = path.join(folder, 'lines.ndjson');
      const issue = await this.spoolValidLines(upload, spool);
      if (issue) {
        throw new RequestValidationError([issue]);
      }
      return await this.store(owner.id, spool);
    } finally {
      // Whatever happened, the connection stays usable: what is left of the body is dropped.
      upload.discardRest();
      if (folder !== undefined) {
        await rm(folder, { recursive: true, force: true });
      }
    }
  }

  /**
   * Validates the lines and writes the valid ones to `file`, up to the first line's problem, which
   * it returns: the answer is known then, and the rest of the body is not read through.
   */
  private async spoolValidLines(
    upload: ImportUpload,
    file: string,
  ): Promise<ValidationIssue | undefined> {
    const out = createWriteStream(file);
    const reader = new NdjsonReader(this.maxLineBytes);
    try {
      for await (const line of reader.lines(upload.bytes)) {
        const checked = this.checkLine(line);
        if ('issue' in checked) {
          return checked.issue;
        }
        // The validated form (ids lowercased, timestamps normalized), read back as it is.
        await write(out, `${JSON.stringify(checked.value)}\n`);
      }
      return undefined;
    } catch (error) {
      if (error instanceof LineTooLongError) {
        return {
          type: 'value_error',
          loc: ['body', error.lineNumber],
          msg: `Value error, line longer than ${sizeText(this.maxLineBytes)}`,
          input: null,
        };
      }
      if (upload.isNotDecodable(error)) {
        return {
          type: 'value_error',
          loc: ['body', reader.lineNumber],
          msg: `Value error, the body is not valid ${upload.encoding} data (${(error as Error).message})`,
          input: null,
        };
      }
      throw error;
    } finally {
      out.end();
      await once(out, 'close');
    }
  }

  private checkLine(line: NumberedLine): { value: CreateMessageDto } | { issue: ValidationIssue } {
    const { number, bytes } = line;
    // Before parsing, as for a JSON body: a deep line would overflow the stack further on.
    if (exceedsJsonDepth(bytes, this.maxDepth)) {
      return {
        issue: {
          type: 'value_error',
          loc: ['body', number],
          msg: `Value error, JSON nested deeper than ${this.maxDepth} levels`,
          input: null,
        },
      };
    }
    const text = bytes.toString('utf8');
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
      // The spool is this service's own writing: its lines were bounded when they came in.
      const lines = new NdjsonReader(Number.POSITIVE_INFINITY).lines(createReadStream(spool));
      for await (const line of lines) {
        batch.push(JSON.parse(line.bytes.toString('utf8')) as CreateMessageDto);
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

/** A byte count as the limits are told: in MiB when it is a whole number of them. */
function sizeText(bytes: number): string {
  const mib = bytes / 1024 / 1024;
  return Number.isInteger(mib) ? `${mib} MiB` : `${bytes} bytes`;
}
