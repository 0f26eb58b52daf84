export { StorageError, type StorageErrorCode } from './errors.js';
export {
  columnTypes,
  dropSchema,
  ensureSchema,
  identityColumn,
  inTransaction,
  isUniqueViolation,
  makeAppendOnly,
  migrate,
  openDatabase,
  sql,
  type Engine,
  type EngineMigration,
  type OpenDatabaseOptions,
  type OpenedDatabase,
} from './database.js';
