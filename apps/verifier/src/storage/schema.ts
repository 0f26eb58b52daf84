import type { Generated } from 'kysely';

/** The verifier service's tables. Times are ISO 8601 UTC text; binary columns are BLOB / BYTEA. */
export interface VerifierSchema {
  relying_parties: RelyingPartyTable;
  presentations: PresentationTable;
  proximity_sessions: ProximitySessionTable;
  login_challenges: LoginChallengeTable;
  presented_signatures: PresentedSignatureTable;
  audit_log: AuditLogTable;
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
