export { StorageError, type StorageErrorCode } from './errors.js';
export {
  columnTypes,
  dropSchema,
  ensureSchema,
  inTransaction,
  isUniqueViolation,
  migrate,
  openDatabase,
  sql,
  type Engine,
  type EngineMigration,
  type OpenDatabaseOptions,
  type OpenedDatabase,
} from './database.js';
