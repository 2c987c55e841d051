import * as path from 'node:path';
import { LangflowSource } from './langflow-source';
import { PostgresLangflowSource } from './postgres-langflow-source';
import { SqliteLangflowSource } from './sqlite-langflow-source';

/** `--from`: a PostgreSQL URL, or a SQLite file (a path, or `sqlite:<path>`). */
export function openLangflowSource(from: string): LangflowSource {
  if (/^postgres(ql)?:\/\//i.test(from)) {
    return new PostgresLangflowSource(from);
  }
  const file = from.startsWith('sqlite:') ? from.slice('sqlite:'.length) : from;
  return new SqliteLangflowSource(path.resolve(file));
}
