#!/usr/bin/env node
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { DataSource, MigrationExecutor } from 'typeorm';
import { ApiKeyService } from '../auth/api-key.service';
import { UsersService } from '../auth/users.service';
import { nestLogLevels } from '../bootstrap/log-levels';
import { DomainError } from '../common/errors/domain.error';
import { ConfigError, loadAppConfig } from '../config/app.config';
import { printable } from '../common/validation/control-characters';
import { revertLastMigration } from '../database/migrate';
import { CliModule } from './cli.module';
import { importLangflow } from './langflow-import/import-langflow.command';
import { LangflowImporter } from './langflow-import/langflow-importer.service';
import { USAGE, UsageError, runCommand } from './commands';
import { packageVersion } from './package-version';

/** Text for the terminal: line by line, every unprintable character escaped. */
function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}

/**
 * The admin CLI: `monitor-service <command>` (`node dist/src/cli/main.js` from the build, or
 * `npm run --silent cli -- <command>` from source), with the service's environment. Results go
 * to standard output (a new key alone on the last line); failures to standard error, exit non-zero.
 */
async function main(argv: string[]): Promise<number> {
  if (argv.length === 0) {
    // A failure like any other: the sentence and the usage go to standard error.
    throw new UsageError('No command given.');
  }
  if (argv[0] === '--help' || argv[0] === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (argv[0] === '--version' || argv[0] === 'version') {
    process.stdout.write(`monitor-service ${packageVersion()}\n`);
    return 0;
  }
  const loaded = loadAppConfig();
  // Reverting must not first apply what it is about to undo.
  const config =
    argv[0] === 'migration' && argv[1] === 'revert'
      ? { ...loaded, scale: { ...loaded.scale, migrationsRun: false } }
      : loaded;
  const app = await NestFactory.createApplicationContext(CliModule.forRoot(config), {
    logger: nestLogLevels(config.logLevel === 'info' ? 'warn' : config.logLevel),
  });
  try {
    await runCommand(argv, {
      users: app.get(UsersService),
      apiKeys: app.get(ApiKeyService),
      appliedMigrations: async () => {
        // TypeORM's own reader: it finds the migrations table in DATABASE_SCHEMA too.
        const executed = await new MigrationExecutor(app.get(DataSource)).getExecutedMigrations();
        return executed
          .sort((x, y) => (x.id ?? 0) - (y.id ?? 0))
          .map((migration) => migration.name);
      },
      revertMigration: () => revertLastMigration(app.get(DataSource)),
      // Names and usernames come from users: never printed with a control character raw.
      out: (line) => process.stdout.write(`${printable(line)}\n`),
      importLangflow: (from) => importLangflow(app.get(LangflowImporter), from),
    });
    return 0;
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${printableLines(error.message)}\n\n${USAGE}`);
      process.exit(2);
    }
    if (error instanceof DomainError || error instanceof ConfigError) {
      process.stderr.write(`${printableLines(error.message)}\n`);
      process.exit(1);
    }
    process.stderr.write(
      `The command failed: ${printableLines((error as Error).message ?? String(error))}\n`,
    );
    process.exit(1);
  },
);
