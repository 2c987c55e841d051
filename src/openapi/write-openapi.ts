import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createApp } from '../bootstrap/create-app';
import { loadAppConfig } from '../config/app.config';
import { buildOpenApiDocument } from './openapi';

/**
 * `npm run openapi:write`: writes the OpenAPI document the service serves to openapi.json at the
 * project root. Run from the build, because the Swagger plugin that documents the DTOs works at
 * compile time.
 */
async function main(): Promise<void> {
  const app = await createApp(
    loadAppConfig({
      // A throwaway database, and a throwaway admin key so that no banner is printed.
      DATABASE_URL: 'sqlite::memory:',
      MONITOR_SUPERUSER_API_KEY: `sk-${'0'.repeat(43)}`,
      LOG_LEVEL: 'error',
      PORT: '0',
    }),
  );
  try {
    await app.init();
    const target = path.resolve(__dirname, '..', '..', '..', 'openapi.json');
    fs.writeFileSync(target, `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`);
    process.stdout.write(`Wrote ${target}\n`);
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
