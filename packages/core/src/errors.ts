/**
 * The base of every error openmyna throws on purpose. `code` is stable and machine-readable; the
 * message is for people and never carries a secret (PIN, key, My Number, APDU data).
 *
 * Each package narrows `code` to its own closed union by subclassing.
 *
 * @example
 * ```ts
 * try {
 *   parseMyNumber(input);
 * } catch (error) {
 *   if (error instanceof OpenMynaError && error.code === 'ERR_MY_NUMBER_CHECK_DIGIT') {
 *     // ask the person to re-type the number
 *   }
 * }
 * ```
 */
export class OpenMynaError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Codes thrown by `@openmyna/core`. */
export type CoreErrorCode =
  | 'ERR_MY_NUMBER_FORMAT'
  | 'ERR_MY_NUMBER_CHECK_DIGIT'
  | 'ERR_RESIDENT_CODE_FORMAT'
  | 'ERR_MUNICIPALITY_CODE_FORMAT'
  | 'ERR_MUNICIPALITY_CODE_PREFECTURE'
  | 'ERR_MUNICIPALITY_CODE_CHECK_DIGIT'
  | 'ERR_DATE_FORMAT'
  | 'ERR_DATE_INVALID'
  | 'ERR_ERA_UNKNOWN'
  | 'ERR_ERA_OUT_OF_RANGE'
  | 'ERR_NAME_EMPTY'
  | 'ERR_NAME_FORMAT'
  | 'ERR_NAME_TOO_LONG'
  | 'ERR_NAME_CHARACTER'
  | 'ERR_ADDRESS_EMPTY'
  | 'ERR_ADDRESS_TOO_LONG'
  | 'ERR_ADDRESS_CHARACTER'
  | 'ERR_SEX_CODE'
  | 'ERR_BIRTH_DATE_FUTURE'
  | 'ERR_EXPIRY_RULE'
  | 'ERR_BASE64'
  | 'ERR_TLV_TRUNCATED'
  | 'ERR_TLV_TAG'
  | 'ERR_TLV_LENGTH'
  | 'ERR_TLV_TRAILING_DATA'
  | 'ERR_TLV_FILLER'
  | 'ERR_TLV_VALUE_TOO_LONG'
  | 'ERR_SEED'
  | 'ERR_POPULATION_OPTIONS';

/** An error from `@openmyna/core`; `code` is one of {@link CoreErrorCode}. */
export class CoreError extends OpenMynaError<CoreErrorCode> {}
