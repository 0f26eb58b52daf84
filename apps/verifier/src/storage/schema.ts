import type { Generated } from 'kysely';

/** The verifier service's tables. Times are ISO 8601 UTC text; binary columns are BLOB / BYTEA. */
export interface VerifierSchema {
  relying_parties: RelyingPartyTable;
  presentations: PresentationTable;
  proximity_sessions: ProximitySessionTable;
  login_challenges: LoginChallengeTable;
  presented_signatures: PresentedSignatureTable;
  audit_log: AuditLogTable;
  webhook_outbox: WebhookOutboxTable;
  oidc_clients: OidcClientTable;
  oidc_records: OidcRecordTable;
  oidc_accounts: OidcAccountTable;
  oidc_keys: OidcKeyTable;
  sign_transactions: SignTransactionTable;
}

/** SHA-256 (hex) of every JPKI signature accepted in a presentation. */
export interface PresentedSignatureTable {
  digest: string;
  presentation_id: string;
  at: string;
}

/**
 * 番号利用事務 (a public body using My Numbers for its own tasks) or 個人番号関係事務 (e.g. a securities
 * firm reporting to the tax office): only these may receive a My Number.
 */
export type MyNumberPurpose = 'none' | 'bango-riyo-jimu' | 'kojin-bango-kankei-jimu';

export interface RelyingPartyTable {
  id: string;
  name: string;
  /** SHA-256 (hex) of the API key; the key itself is shown once and never stored. */
  api_key_digest: string;
  my_number_purpose: MyNumberPurpose;
  /** JSON: the mdoc elements it may receive (AuthorizedElement[]). */
  elements: string;
  /** Its request-signing (reader) certificate, issued by the service's reader CA. */
  request_certificate: Uint8Array;
  /** Its request-signing key (private JWK), sealed. */
  request_key_sealed: Uint8Array;
  webhook_url: string | null;
  created_at: string;
}

export type PresentationStatus = 'pending' | 'processing' | 'completed' | 'failed';

export interface PresentationTable {
  id: string;
  rp_id: string;
  nonce: string;
  state: string;
  /** JSON of the AuthorizationRequest as signed. */
  request: string;
  request_jwt: string;
  /** The response-decryption key (private JWK) of a `direct_post.jwt` request, sealed. */
  decryption_key_sealed: Uint8Array | null;
  status: PresentationStatus;
  created_at: string;
  expires_at: string;
  responded_at: string | null;
  /** JSON: the summary, named checks and verification record (no disclosed values). */
  result: string | null;
  /** The disclosed values, sealed, until the relying party fetches them once. */
  claims_sealed: Uint8Array | null;
  claims_fetched_at: string | null;
  /**
   * Answers posted to this open request that were not accepted — wallet refusals (which are unsigned)
   * and answers that failed verification. Neither ends the request: anyone who saw its QR code could
   * have sent them.
   */
  rejected_answers: Generated<number>;
  /** JSON `{ at, check, reason }` of the last of them. */
  last_rejection: string | null;
}

/** An in-person (ISO/IEC 18013-5) session at a relying party's counter; the service is the reader. */
export interface ProximitySessionTable {
  id: string;
  rp_id: string;
  /** The elements asked for, `nameSpace/elementIdentifier` (JSON array). */
  elements: string;
  status: PresentationStatus;
  created_at: string;
  expires_at: string;
  responded_at: string | null;
  /** PresentationResult JSON: checks and record, never values. */
  result: string | null;
  /** The disclosed values, sealed, until the relying party reads them once. */
  claims_sealed: Uint8Array | null;
  claims_fetched_at: string | null;
}

export interface LoginChallengeTable {
  id: string;
  rp_id: string;
  value: string;
  client_id: string;
  expires_at: string;
  used_at: string | null;
}

/** Append-only (triggers refuse UPDATE and DELETE); never holds a My Number or a disclosed value. */
export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  rp_id: string | null;
  action: string;
  subject_id: string;
  result: string;
  /** JSON. */
  details: string;
}

/** Where a webhook event is: waiting for (another) attempt, delivered (a 2xx), or given up at its expiry. */
export type WebhookState = 'pending' | 'delivered' | 'expired';

/**
 * The transactional outbox of relying parties' webhooks: an event is written in the transaction that
 * ends its presentation, and sent by whichever instance claims it (a lease) until a 2xx or its expiry.
 */
export interface WebhookOutboxTable {
  /** The event id: the body's `eventId` and the `Idempotency-Key` header, the same on every attempt. */
  id: string;
  rp_id: string;
  /** The presentation or in-person session the event is about. */
  subject_id: string;
  /** The relying party's webhook URL when the event was written (attempts go to its URL at the time). */
  url: string;
  /** JSON as sent: `{ type, id, status, eventId }`, never a disclosed value. */
  body: string;
  state: WebhookState;
  /** Attempts started (counted when claimed, so an attempt cut short by a crash counts). */
  attempts: Generated<number>;
  created_at: string;
  next_attempt_at: string;
  /** Who holds the event while sending it (a random token per claim), and until when. */
  lease_token: string | null;
  lease_until: string | null;
  last_attempt_at: string | null;
  /**
   * Why the last attempt failed: `HTTP 503`, `timeout`, `network error` — never the receiver's text — or
   * why the event was dropped unsent (`no webhook URL`).
   */
  last_error: string | null;
  /** When it was delivered or expired. */
  finished_at: string | null;
}

/** A relying party's OpenID Connect client (docs/oidc.md): at most one per relying party. */
export interface OidcClientTable {
  /** `[0-9A-Za-z]{1,255}`, as the デジタル認証アプリ reference allows. */
  client_id: string;
  rp_id: string;
  /** JSON: the registered redirect URIs, compared exactly. */
  redirect_uris: string;
  /** JSON: its public JWK Set — signature keys for `private_key_jwt`, one encryption key for sign results. */
  jwks: string;
  /** The scopes it may ask for, space-separated (`openid` always). */
  scopes: string;
  created_at: string;
  updated_at: string;
}

/** What `oidc-provider` keeps (authorization codes, tokens, interactions, sessions, grants), by model. */
export interface OidcRecordTable {
  model: string;
  id: string;
  /** JSON as the provider gave it. */
  payload: string;
  grant_id: string | null;
  uid: string | null;
  expires_at: string | null;
  consumed_at: string | null;
}

/** What one authorization established about the holder, for its ID token and userinfo; short-lived. */
export interface OidcAccountTable {
  /** The authorization's grant: each access token reads the claims of its own authorization. */
  grant_id: string;
  /** JSON `{ name?, address?, birthdate?, gender? }`, sealed. */
  claims_sealed: Uint8Array;
  expires_at: string;
}

/** The provider's ID-token signing key (private JWK, sealed): made once, shared by every instance. */
export interface OidcKeyTable {
  id: string;
  key_sealed: Uint8Array;
  created_at: string;
}

/** Where a sign transaction is: created, taken by one authorization request, signed, or failed. */
export type SignTransactionStatus = 'created' | 'in_use' | 'signed' | 'failed';

/** A digest a relying party asked the holder to sign (`POST /api/sign-transactions`). */
export interface SignTransactionTable {
  /** A UUID, as the reference's `sign_transaction_id`. */
  id: string;
  client_id: string;
  rp_id: string;
  /** base64url of the 32-byte SHA-256 digest, or of its 51-byte DER DigestInfo. */
  digest: string;
  /** 1 when `digest` is a DigestInfo. */
  digest_info: number;
  title: string;
  status: SignTransactionStatus;
  /** The authorization request that took it (one only). */
  interaction_uid: string | null;
  /** The grant of the authorization that signed it: only that grant's access token reads the result. */
  grant_id: string | null;
  /** JSON `{ signature, certificate }` (base64), sealed, until it expires. */
  result_sealed: Uint8Array | null;
  created_at: string;
  expires_at: string;
}
