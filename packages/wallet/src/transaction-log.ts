/** What the phone did: every presentation, signature, login and change of the phone itself. */
export type TransactionKind =
  | 'provisioning'
  | 'presentation'
  | 'in-person'
  | 'signature'
  | 'login'
  | 'lifecycle'
  | 'pin-change'
  | 'pin-reset'
  | 'platform-verification'
  | 'mdoc-refill'
  | 'wipe';

/** How it ended. */
export type TransactionResult =
  /** Sent, and the receiving side took it. */
  | 'completed'
  /** The user declined. */
  | 'declined'
  /** The wallet refused (bad request, unsupported, …); `reason` names the code. */
  | 'refused'
  /** A PIN or password was wrong (`ERR_PIN_WRONG`): a try was spent, nothing was sent. */
  | 'pin-wrong'
  /** A PIN or password is locked (`ERR_PIN_BLOCKED`): by this try, or before it. */
  | 'pin-locked'
  /** It failed on the way (network, the other side refused). */
  | 'failed';

/**
 * One entry of the transaction log: who, when, which items, how it ended. Item names only — never a
 * disclosed value, a PIN, a signature or a document's content.
 */
export interface TransactionLogEntry {
  readonly id: string;
  /** ISO 8601. */
  readonly time: string;
  readonly kind: TransactionKind;
  /** Who asked: the verified name from the requester's certificate, or what the wallet could tell. */
  readonly counterparty?: {
    readonly name?: string;
    /** True when the name comes from a certificate that chained to a trusted reader CA. */
    readonly verified: boolean;
    readonly clientId?: string;
  };
  /** What was asked for or done, by name (`org.iso.23220.1.jp:full_name_unicode`, `jpki_sign`, …). */
  readonly items: readonly string[];
  /** Items the relying party asked for and the wallet withheld (it may not receive them). */
  readonly withheld?: readonly string[];
  /** The title of a signed document, when there was one. */
  readonly documentTitle?: string;
  /** Whether the relying party declared it keeps the items. */
  readonly retained?: boolean;
  readonly result: TransactionResult;
  /** The error code when the result is not `completed`. */
  readonly reason?: string;
}

/** The log as a JSON document the user can keep (`openmyna-wallet-log/1`). */
export function exportTransactionLog(entries: readonly TransactionLogEntry[], exportedAt: Date): string {
  return JSON.stringify({ format: 'openmyna-wallet-log/1', exportedAt: exportedAt.toISOString(), entries }, null, 2);
}

/** A fresh entry id (time-ordered, random suffix). */
export function newEntryId(now: Date): string {
  const random = Array.from(crypto.getRandomValues(new Uint8Array(6)), (byte) =>
    byte.toString(16).padStart(2, '0'),
  ).join('');
  return `${now.getTime().toString(36)}-${random}`;
}
