import 'reflect-metadata';
import { loadAppConfig } from './src/config/app.config';
import { buildDataSourceOptions } from './src/database/data-source-options';
import { MonitorDataSource } from './src/database/monitor-data-source';

/**
 * The DataSource for the TypeORM CLI (`npm run migration:run`, `migration:generate`), built from
 * the same environment and options as the service.
 */
const config = loadAppConfig();

export default new MonitorDataSource(
  buildDataSourceOptions(config.database, {
    schema: config.databaseSchema,
    limits: config.scale,
  }),
);
