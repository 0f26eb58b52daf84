import { OpenMynaError } from '@openmyna/core';

/** Codes thrown by `@openmyna/service`. */
export type ServiceErrorCode = 'ERR_UNAVAILABLE';

/** An error from `@openmyna/service`; `code` is one of {@link ServiceErrorCode} (every envelope maps it). */
export class ServiceError extends OpenMynaError<ServiceErrorCode> {}
