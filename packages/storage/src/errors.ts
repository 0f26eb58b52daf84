import { OpenMynaError } from '@openmyna/core';

/** Codes thrown by `@openmyna/storage`. */
export type StorageErrorCode = 'ERR_DB_URL' | 'ERR_DB_CONNECT' | 'ERR_DB_MIGRATION' | 'ERR_DB_CONFLICT';

/** An error from `@openmyna/storage`; `code` is one of {@link StorageErrorCode}. */
export class StorageError extends OpenMynaError<StorageErrorCode> {}
