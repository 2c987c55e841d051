import { Client } from 'pg';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseDatabaseUrl } from '../../src/config/database-url';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { runMigrations } from '../../src/database/migrate';
import { MonitorDataSource } from '../../src/database/monitor-data-source';
import { testDatabases } from '../support/databases';

// What `npm run migration:generate` computes: the statements that would make the database match
// the entities. Right after the migrations, on an unchanged model, there must be none.
describe('the entities and the migrations agree', () => {
  for (const database of testDatabases()) {
    it(`[${database.name}] migration:generate finds nothing to change`, async () => {
      fs.mkdirSync(path.join(os.tmpdir(), 'monitor-e2e'), { recursive: true });
      const dataSource = await new MonitorDataSource(
        buildDataSourceOptions(parseDatabaseUrl(database.url), { schema: database.schema }),
      ).initialize();
      try {
        await runMigrations(dataSource);
        const pending = await dataSource.driver.createSchemaBuilder().log();

        expect(pending.upQueries.map((query) => query.query)).toEqual([]);
        // The foreign keys are there, and the entities know them (a cascade the tests rely on).
        expect(
          dataSource.entityMetadatas
            .flatMap((entity) =>
              entity.foreignKeys.map((key) => `${entity.tableName}.${key.columnNames.join()}`),
            )
            .sort(),
        ).toEqual([
          'api_key.user_id',
          'flow.user_id',
          'message.flow_id',
          'otlp_held_span.user_id',
          'span.trace_id',
          'trace.flow_id',
          'transaction.flow_id',
          'vertex_build.flow_id',
        ]);
      } finally {
        await dataSource.destroy();
        if (database.name === 'postgres') {
          const client = new Client({ connectionString: database.url });
          await client.connect();
          await client.query(`DROP SCHEMA IF EXISTS "${database.schema}" CASCADE`);
          await client.end();
        } else {
          fs.rmSync(database.url.slice('sqlite:'.length), { force: true });
        }
      }
    });
  }
});
