/** What one table's import did. */
export interface TableSummary {
  /** Rows brought over by this run. */
  added: number;
  /** Rows that were here already (a previous run): left as they are. */
  present: number;
  /** Rows not brought over, by reason. */
  skipped: Record<string, number>;
}

/** The whole import: per table, and the API keys made for new users (shown only now). */
export interface ImportSummary {
  source: string;
  tables: Record<'users' | 'flows' | 'messages' | 'transactions' | 'builds', TableSummary>;
  newKeys: { username: string; key: string }[];
}

export function emptyTableSummary(): TableSummary {
  return { added: 0, present: 0, skipped: {} };
}

export function skip(summary: TableSummary, reason: string): void {
  summary.skipped[reason] = (summary.skipped[reason] ?? 0) + 1;
}

/** The summary as the lines the CLI prints. */
export function summaryLines(summary: ImportSummary): string[] {
  const lines = [`Imported from Langflow (${summary.source}):`];
  for (const [table, counts] of Object.entries(summary.tables)) {
    const skipped = Object.entries(counts.skipped).map(
      ([reason, count]) => `, ${count} skipped (${reason})`,
    );
    lines.push(
      `  ${table}: ${counts.added} new, ${counts.present} already here${skipped.join('')}`,
    );
  }
  if (summary.newKeys.length > 0) {
    lines.push('API keys of the new users (shown only now, store them safely):');
    for (const { username, key } of summary.newKeys) {
      lines.push(`  ${username} ${key}`);
    }
  }
  return lines;
}
