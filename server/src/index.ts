export { createFleetlineServer } from './app.js';
export type { FleetlineServer } from './app.js';
export { createCore } from './core.js';
export type { Core } from './core.js';
export { loadConfig, ConfigError } from './config.js';
export type { ServerConfig, DatabaseConfig } from './config.js';
export { createDatabase } from './db/database.js';
export { migrateLatest, migrateRollback } from './db/migrate.js';
export { AppError } from './domain/errors.js';
