import { spawnSync } from 'node:child_process';
import { loadAppConfig } from '../src/config/app.config';

/**
 * `npm run migration:generate -- <Name>`: diffs the entities against the database named by
 * DATABASE_URL and writes the migration into that database's own folder, since SQLite and
 * PostgreSQL each keep their own migrations.
 */
const name = process.argv[2];
if (!name || !/^[A-Za-z][A-Za-z0-9]*$/.test(name)) {
  process.stderr.write(
    'Usage: npm run migration:generate -- <MigrationName> (letters and digits)\n',
  );
  process.exit(2);
}
const kind = loadAppConfig().database.kind;
const result = spawnSync(
  'npx',
  [
    'typeorm-ts-node-commonjs',
    'migration:generate',
    '-d',
    'ormconfig.ts',
    `src/database/migrations/${kind}/${name}`,
  ],
  { stdio: 'inherit' },
);
if (kind && result.status === 0) {
  process.stdout.write(
    `Now import the new class in src/database/data-source-options.ts (${kind.toUpperCase()}_MIGRATIONS).\n`,
  );
}
process.exit(result.status ?? 1);
