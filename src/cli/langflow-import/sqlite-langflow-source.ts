import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import { LangflowRow, LangflowSource, LangflowTable } from './langflow-source';

/** A Langflow SQLite file (langflow.db), opened read-only: the import never changes it. */
export class SqliteLangflowSource implements LangflowSource {
  readonly description: string;
  private readonly database: Database.Database;

  constructor(file: string) {
    if (!fs.existsSync(file)) {
      throw new Error(`No Langflow database at ${file}`);
    }
    this.description = file;
    this.database = new Database(file, { readonly: true, fileMustExist: true });
  }

  columns(table: LangflowTable): Promise<string[]> {
    const rows = this.database.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[];
    return Promise.resolve(rows.map((row) => row.name));
  }

  count(table: LangflowTable): Promise<number> {
    const row = this.database.prepare(`SELECT COUNT(*) AS "count" FROM "${table}"`).get() as {
      count: number;
    };
    return Promise.resolve(row.count);
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- better-sqlite3 reads synchronously; async so that the importer awaits between rows.
  async *rows(
    table: LangflowTable,
    columns: string[],
    orderBy: string,
  ): AsyncIterable<LangflowRow> {
    const list = columns.map((column) => `"${column}"`).join(', ');
    const statement = this.database.prepare(`SELECT ${list} FROM "${table}" ORDER BY "${orderBy}"`);
    yield* statement.iterate() as IterableIterator<LangflowRow>;
  }

  close(): Promise<void> {
    this.database.close();
    return Promise.resolve();
  }
}
