import { Client, types } from 'pg';
import { EndingQueryStream } from '../../database/ending-query-stream';
import { LangflowRow, LangflowSource, LangflowTable } from './langflow-source';

const TIMESTAMP_WITHOUT_ZONE = 1114;
const JSON_TYPES = [114, 3802];

/** Timestamps without a zone and JSON as their text; everything else as pg reads it. */
function textFor(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === TIMESTAMP_WITHOUT_ZONE || JSON_TYPES.includes(oid)) {
    return (value: string) => value;
  }
  return types.getTypeParser(oid, format) as (value: string) => unknown;
}

/**
 * A Langflow PostgreSQL database, read through one connection in a read-only transaction (one
 * snapshot for the whole import). Timestamps without a zone come as their text, so that they are
 * read as UTC rather than in this machine's zone; JSON comes as text, parsed in one place.
 */
export class PostgresLangflowSource implements LangflowSource {
  readonly description: string;
  private readonly client: Client;
  private started = false;

  constructor(url: string) {
    const shown = new URL(url);
    shown.password = shown.password ? '***' : '';
    this.description = shown.toString();
    this.client = new Client({
      connectionString: url,
      types: { getTypeParser: textFor as typeof types.getTypeParser },
    });
  }

  async columns(table: LangflowTable): Promise<string[]> {
    await this.start();
    const result = await this.client.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
      [table],
    );
    return result.rows.map((row) => row.column_name);
  }

  async count(table: LangflowTable): Promise<number> {
    await this.start();
    const result = await this.client.query<{ count: string }>(
      `SELECT COUNT(*) AS "count" FROM "${table}"`,
    );
    return Number(result.rows[0].count);
  }

  async *rows(
    table: LangflowTable,
    columns: string[],
    orderBy: string,
  ): AsyncIterable<LangflowRow> {
    await this.start();
    const list = columns.map((column) => `"${column}"`).join(', ');
    const stream = this.client.query(
      new EndingQueryStream(`SELECT ${list} FROM "${table}" ORDER BY "${orderBy}"`, [], {
        batchSize: 500,
      }),
    );
    try {
      for await (const row of stream) {
        yield row as LangflowRow;
      }
    } finally {
      stream.destroy();
    }
  }

  async close(): Promise<void> {
    if (this.started) {
      await this.client.query('COMMIT').catch(() => undefined);
      await this.client.end();
    }
  }

  private async start(): Promise<void> {
    if (!this.started) {
      await this.client.connect();
      this.started = true;
      await this.client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    }
  }
}
