import { ProgressBar } from './import-progress';
import { summaryLines } from './import-summary';
import { LangflowImporter } from './langflow-importer.service';
import { openLangflowSource } from './open-langflow-source';

/** `import-langflow --from <source>`: runs the import with a progress bar; the summary's lines. */
export async function importLangflow(importer: LangflowImporter, from: string): Promise<string[]> {
  const source = openLangflowSource(from);
  try {
    return summaryLines(await importer.run(source, new ProgressBar()));
  } finally {
    await source.close();
  }
}
