import { OpenMynaError } from '@openmyna/core';

/** Codes thrown by `@openmyna/card`. */
export type CardErrorCode =
  | 'ERR_APDU_LENGTH'
  | 'ERR_APDU_FIELD'
  | 'ERR_RESPONSE_APDU'
  | 'ERR_RETRY_STATE_CORRUPT'
  | 'ERR_RETRY_STATE_IO'
  | 'ERR_CARD_STATUS'
  | 'ERR_PIN_FORMAT'
  | 'ERR_PIN_WRONG'
  | 'ERR_PIN_BLOCKED'
  | 'ERR_CARD_KEY'
  | 'ERR_CARD_RECORD'
  | 'ERR_PIN_RESET_AUTHORIZATION'
  | 'ERR_PRESENTATION_FORMAT';

/** An error from `@openmyna/card`; `code` is one of {@link CardErrorCode}. */
export class CardError extends OpenMynaError<CardErrorCode> {}
