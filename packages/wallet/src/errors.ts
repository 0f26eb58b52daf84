import { OpenMynaError } from '@openmyna/core';
import type { CheckResult } from '@openmyna/pki';

/** Codes thrown by `@openmyna/wallet`. Messages never carry a PIN, a key or a My Number. */
export type WalletErrorCode =
  /** The wallet holds no card yet, or already holds one. */
  | 'ERR_WALLET_STATE'
  /** The wallet's storage could not be read or written, or was altered. */
  | 'ERR_WALLET_STORAGE'
  /** A PIN or password does not have the form its application requires. */
  | 'ERR_PIN_FORMAT'
  /** A shared 4-digit PIN the card face gives away (a form of the birth date, the security code). */
  | 'ERR_PIN_WEAK'
  /** Platform verification failed: the sealed PINs do not open, or are malformed. */
  | 'ERR_PLATFORM_VERIFICATION'
  /** The platform authenticator lacks what platform verification needs (the PRF extension). */
  | 'ERR_PLATFORM_UNSUPPORTED'
  /** A PIN or password is wrong; `triesLeft` says how many tries remain. */
  | 'ERR_PIN_WRONG'
  /**
   * A PIN or password is locked (`pin` names it): by this try, its last (card-spec §2.1: `63C0`), or
   * before, when nothing was sent (`6984`). Only the reset flow with the card opens it again.
   */
  | 'ERR_PIN_BLOCKED'
  /** The approval lacks a PIN or password the request needs. */
  | 'ERR_APPROVAL_INCOMPLETE'
  /** A relying party's request failed the wallet's checks (`checks` names them). */
  | 'ERR_REQUEST_INVALID'
  /** The request is for something this wallet cannot present. */
  | 'ERR_REQUEST_UNSUPPORTED'
  /** The request was already answered or declined. */
  | 'ERR_REQUEST_DONE'
  /** The relying party's endpoint refused or did not take the answer. */
  | 'ERR_RESPONSE_REJECTED'
  /** The issuer refused a request (`issuerCode` is the issuer's code). */
  | 'ERR_ISSUER_REFUSED'
  /** A server could not be reached or answered something unreadable. */
  | 'ERR_NETWORK'
  /** The issuer's bundle does not match the keys this phone generated, or is malformed. */
  | 'ERR_BUNDLE_INVALID'
  /** The physical card answered an error while it was read. */
  | 'ERR_CARD'
  /** An in-person session failed (engagement, relay or session encryption). */
  | 'ERR_SESSION'
  /** No unused mdoc (MSO) is left to present, and none could be refilled; nothing was sent. */
  | 'ERR_MDOC_EXHAUSTED'
  /** The phone's keys in the remote secure area were destroyed (the phone was revoked or wiped). */
  | 'ERR_PHONE_REVOKED';

/**
 * Which PIN or password an error is about: the phone's, by the names its screens use, or the physical
 * card's (read while adding the card or resetting a PIN).
 */
export type PinName =
  'authenticationPin' | 'signingPassword' | 'kenhojoPin' | 'jukiPin' | 'cardAuthenticationPin' | 'cardSigningPassword';

/** An error from `@openmyna/wallet`; `code` is one of {@link WalletErrorCode}. */
export class WalletError extends OpenMynaError<WalletErrorCode> {
  /** For `ERR_PIN_WRONG`: tries left (0 with `ERR_PIN_BLOCKED`). */
  readonly triesLeft?: number;
  /** For `ERR_PIN_WRONG` and `ERR_PIN_BLOCKED`: which PIN or password. */
  readonly pin?: PinName;
  /** For `ERR_REQUEST_INVALID`: the failed checks, in order. */
  readonly checks?: readonly CheckResult[];
  /** For `ERR_ISSUER_REFUSED` and `ERR_RESPONSE_REJECTED`: the server's own error code. */
  readonly serverCode?: string;

  constructor(
    code: WalletErrorCode,
    message: string,
    details: {
      cause?: unknown;
      triesLeft?: number;
      pin?: PinName;
      checks?: WalletError['checks'];
      serverCode?: string;
    } = {},
  ) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    if (details.triesLeft !== undefined) this.triesLeft = details.triesLeft;
    if (details.pin) this.pin = details.pin;
    if (details.checks) this.checks = details.checks;
    if (details.serverCode) this.serverCode = details.serverCode;
  }
}

/** The stable code of an error, when it has one. */
export function errorCodeOf(error: unknown): string | undefined {
  return typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : undefined;
}
