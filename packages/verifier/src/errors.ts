import { OpenMynaError } from '@openmyna/core';

/** Codes thrown by `@openmyna/verifier` (a verification itself never throws: it returns its checks). */
export type VerifierErrorCode = 'ERR_VERIFIER_CONFIG' | 'ERR_CHALLENGE_STORE' | 'ERR_PRESENTATION_FORMAT';

/** An error from `@openmyna/verifier`; `code` is one of {@link VerifierErrorCode}. */
export class VerifierError extends OpenMynaError<VerifierErrorCode> {}
