import type { Generated } from 'kysely';

/**
 * The issuer's tables. Times are ISO 8601 UTC text (`2026-11-27T03:00:00.000Z`), which sorts and
 * compares the same on SQLite and PostgreSQL; binary columns are BLOB / BYTEA.
 */
export interface IssuerSchema {
  persons: PersonTable;
  cards: CardTable;
  phones: PhoneTable;
  certificates: CertificateTable;
  records: RecordTable;
  revocations: RevocationTable;
  provisioning_sessions: ProvisioningSessionTable;
  audit_log: AuditLogTable;
  crl_numbers: CrlNumberTable;
  card_face_images: CardFaceImageTable;
  holder_challenges: HolderChallengeTable;
  secure_area_devices: SecureAreaDeviceTable;
  secure_area_counters: SecureAreaCounterTable;
  secure_area_used_authorizations: SecureAreaUsedAuthorizationTable;
  mdoc_batches: MdocBatchTable;
}

/** The resident registry (住民基本台帳 as far as the card needs it). */
export interface PersonTable {
  id: string;
  name: string;
  name_kana: string;
  address: string;
  birth_date: string;
  sex: string;
  /** The keyed digest of the My Number (`myNumberIndex`), unique; never the number. */
  my_number: string;
  /** The My Number, sealed (`sealMyNumber`); null only in a registry not yet converted. */
  my_number_sealed: Uint8Array | null;
  resident_code: string;
  municipality_code: string;
  photo: Uint8Array;
  /** Bumped by every change of the 4 info. */
  version: number;
  created_at: string;
  updated_at: string;
}

export type CardStatus = 'active' | 'lost' | 'renewed';
export interface CardTable {
  id: string;
  person_id: string;
  status: CardStatus;
  issued_at: string;
  expires_on: string;
  updated_at: string;
}

/** `provisioning` until its certificates and records are all made; only then `active`. */
export type PhoneStatus = 'provisioning' | 'active' | 'suspended' | 'revoked';
export interface PhoneTable {
  id: string;
  person_id: string;
  /** The card whose proofs provisioned this phone. */
  card_id: string;
  status: PhoneStatus;
  /** The mdoc device key, public JWK. */
  device_key: string;
  provisioned_at: string;
  updated_at: string;
}

/**
 * `prepared`: the to-be-signed certificate is stored and the CA may sign it; `issued`: signed and
 * recorded; `abandoned`: prepared but never recorded as signed (a crash) — never valid;
 * `suspended` (certificateHold) and `revoked` as in the CRL.
 */
export type CertificateStatus = 'prepared' | 'issued' | 'suspended' | 'revoked' | 'abandoned';
export type HierarchyName = 'signing' | 'authentication';
export interface CertificateTable {
  /** Lower-case hex, at least 64 random bits. */
  serial: string;
  hierarchy: HierarchyName;
  person_id: string;
  card_id: string | null;
  phone_id: string | null;
  municipality_code: string;
  status: CertificateStatus;
  tbs: Uint8Array;
  der: Uint8Array | null;
  not_after: string;
  reason: string | null;
  revoked_at: string | null;
  created_at: string;
  issued_at: string | null;
}

export interface RecordTable {
  id: string;
  person_id: string;
  card_id: string | null;
  phone_id: string | null;
  kind: 'kenhojo' | 'kenkaku' | 'mdoc';
  issued_at: string;
  valid_until: string | null;
  /** mdoc: the index in the Token Status List. */
  status_index: number | null;
  /** mdoc: the batch it was issued in (null for rows from before batches). */
  batch_id: string | null;
  /** mdoc: its device key, public JWK (null for rows from before batches: the phone's `device_key`). */
  device_key: string | null;
}

/**
 * A batch of single-use MSOs for one phone: `issuing` while they are made (its records reserve the
 * status indexes), `issued` once the phone may have them, `abandoned` when that never happened.
 */
export type MdocBatchStatus = 'issuing' | 'issued' | 'abandoned';
export interface MdocBatchTable {
  id: string;
  phone_id: string;
  status: MdocBatchStatus;
  size: number;
  created_at: string;
  completed_at: string | null;
}

/** One row per revocation or suspension event, as the CRL and OCSP publish them. */
export interface RevocationTable {
  id: Generated<number>;
  serial: string;
  hierarchy: HierarchyName;
  reason: string;
  revoked_at: string;
  actor: string;
}

export interface ProvisioningSessionTable {
  id: string;
  nonce: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  phone_id: string | null;
}

/** Append-only (triggers refuse UPDATE and DELETE); never holds a My Number. */
export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  actor: string;
  action: string;
  subject_type: string;
  subject_id: string;
  reason: string | null;
  /** JSON. */
  details: string;
}

export interface CrlNumberTable {
  /** `<hierarchy>/<municipality code>`. */
  partition: string;
  number: number;
}

/** A person's card-face images (name, address, 個人番号, photo), rendered once per registry change. */
export interface CardFaceImageTable {
  person_id: string;
  /** SHA-256 (hex) of the registry data the images show. */
  inputs_digest: string;
  name: Uint8Array;
  address: Uint8Array;
  my_number: Uint8Array;
  photo: Uint8Array;
  rendered_at: string;
}

export type HolderChallengePurpose = 'lifecycle' | 'pin-reset' | 'mdoc-refill';
export interface HolderChallengeTable {
  id: string;
  phone_id: string;
  purpose: HolderChallengePurpose;
  nonce: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

/**
 * `pending` (keys made, proving possession), `certified` (the issuer took its keys for a phone; no
 * proof any more), `active` (the bundle installed), `wiped` (keys destroyed).
 */
export type SecureAreaDeviceStatus = 'pending' | 'certified' | 'active' | 'wiped';
export interface SecureAreaDeviceTable {
  id: string;
  /** The phone's device-bound key, public JWK (P-256). */
  device_key: string;
  status: SecureAreaDeviceStatus;
  phone_id: string | null;
  /** The JPKI authentication key's SubjectPublicKeyInfo (base64): how provisioning finds the device. */
  authentication_key: string;
  /** Changes of `sealed_credential`; a write names the version it read. */
  version: Generated<number>;
  /** One bit per pending key that made its proof (authentication 1, signing 2, 券面 4). */
  proofs: Generated<number>;
  /** The JPKI and 券面 public keys (SubjectPublicKeyInfo, base64), JSON. */
  public_keys: string;
  /** The private keys (JWKs), sealed; null once wiped. */
  sealed_keys: Uint8Array | null;
  /** The installed bundle, the reference data and the token serial, sealed; null until installed. */
  sealed_credential: Uint8Array | null;
  created_at: string;
  updated_at: string;
}

export interface SecureAreaUsedAuthorizationTable {
  digest: string;
  device_id: string;
  used_at: string;
}

export interface SecureAreaCounterTable {
  device_id: string;
  reference: string;
  tries_left: number;
}
