import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadAppConfig } from './src/config/app.config';
import { buildDataSourceOptions } from './src/database/data-source-options';

/**
 * The DataSource for the TypeORM CLI (`npm run migration:run`, `migration:generate`), built from
 * the same environment and options as the service.
 */
const config = loadAppConfig();

export default new DataSource(
  buildDataSourceOptions(config.database, { schema: config.databaseSchema }),
);
