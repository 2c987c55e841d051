/** A row of a Langflow table, as its driver gives it. */
export type LangflowRow = Record<string, unknown>;

/** The Langflow tables this service brings over. */
export const LANGFLOW_TABLES = ['user', 'flow', 'message', 'transaction', 'vertex_build'] as const;

export type LangflowTable = (typeof LANGFLOW_TABLES)[number];

/** Read access to a Langflow database, table by table, streamed: it is never loaded whole. */
export interface LangflowSource {
  /** Where it is, for messages (a path, or the URL without its password). */
  readonly description: string;
  /** The table's column names; empty when the table does not exist (older Langflow versions). */
  columns(table: LangflowTable): Promise<string[]>;
  count(table: LangflowTable): Promise<number>;
  /** The table's rows in a stable order, `columns` only. */
  rows(table: LangflowTable, columns: string[], orderBy: string): AsyncIterable<LangflowRow>;
  close(): Promise<void>;
}
