import { openWithPassphrase, sealWithPassphrase, type PassphraseBox } from '@openmyna/pki';
import { bytesToBase64 } from '@openmyna/pki';
import { z } from 'zod';

import { CardError } from './errors.js';
import type { StoredPin } from './retry-counter.js';

/**
 * A virtual card as a file (`format: openmyna-card/2`). In the clear only what any reader may read from
 * the real card without a PIN: the card's identity, the CA certificates and the authentication
 * certificate, the issuers' CV certificates. Everything personal — the 入力補助 and 券面 records, the
 * 住民票コード and the signing certificate (which the card releases only after the signing password) —
 * is sealed in `secrets` with the private keys and the PIN reference data, under the card's passphrase:
 * the file is the chip, and what opens it answers only through the applets and their access rules.
 * Retry counters live apart, in a store the host provides (a file beside the card). Files of the
 * earlier `openmyna-card/1` (records in the clear) still open.
 */
export interface VirtualCardDocument {
  readonly format: 'openmyna-card/2';
  readonly variant: 'card' | 'phone';
  readonly personId: string;
  readonly municipalityCode: string;
  /** 有効期限, `YYYY-MM-DD`. */
  readonly expiry: string;
  readonly tokenSerial: string;
  readonly jpki: {
    /** Whether a 署名用電子証明書 was issued (not to holders under 15); the certificate itself is sealed. */
    readonly signingIssued: boolean;
    readonly signingCaCertificate: string;
    readonly authenticationCertificate: string;
    readonly authenticationCaCertificate: string;
  };
  /** The 入力補助AP's issuer: its CV certificate and key id (the records are sealed). */
  readonly kenhojo: CardRecordIssuer;
  /** The 券面事項確認AP's issuer (the records are sealed). */
  readonly kenkaku: CardRecordIssuer;
  /** 共通カードAP: the 15-digit card serial. */
  readonly common: { readonly serial: string };
  readonly secrets: PassphraseBox;
}

/** An issuer of a card application's records as the card names it. */
export interface CardRecordIssuer {
  readonly cvCertificate: string;
  readonly signerKeyId: string;
}

/** 入力補助 records (base64): the My Number file, the 4 info file and the integrity record over both. */
export interface KenhojoRecordFiles extends CardRecordIssuer {
  readonly myNumberFile: string;
  readonly basicFourInfoFile: string;
  readonly integrityRecord: string;
}

/** 券面 records (base64): the signed card face, the age record and the 個人番号 image record. */
export interface KenkakuRecordFiles extends CardRecordIssuer {
  readonly cardFaceFile: string;
  readonly ageRecord: string;
  readonly myNumberImageRecord: string;
  /**
   * The MF-level `7F21` CV certificate: the 券面 issuer key certifying the card's own 券面 key
   * ({@link cardKeyId}). Absent from cards and phones issued before openmyna served it, which then
   * answer GET DATA `7F21` with `6A88`, as older real cards do (card-spec §0).
   */
  readonly cardCvCertificate?: string | undefined;
}

/** The personal contents of a card, sealed in its file. */
export interface CardRecords {
  readonly signingCertificate?: string;
  readonly kenhojo: Omit<KenhojoRecordFiles, keyof CardRecordIssuer>;
  readonly kenkaku: Omit<KenkakuRecordFiles, keyof CardRecordIssuer>;
  /** 住基AP: the 住民票コード (11 digits). */
  readonly residentCode: string;
}

/** A card file of the first format, whose records were in the clear: still opened. */
export interface VirtualCardDocumentV1 extends Omit<VirtualCardDocument, 'format' | 'jpki' | 'kenhojo' | 'kenkaku'> {
  readonly format: 'openmyna-card/1';
  readonly jpki: Omit<VirtualCardDocument['jpki'], 'signingIssued'> & { readonly signingCertificate?: string };
  readonly kenhojo: KenhojoRecordFiles;
  readonly kenkaku: KenkakuRecordFiles;
  readonly juki: { readonly residentCode: string };
}

/** What `secrets` holds once opened. Never logged, never returned by an API. */
export interface CardSecrets {
  /** HMAC key of the retry-counter store. */
  readonly stateKey: string;
  readonly keys: { readonly authentication: JsonWebKey; readonly signing?: JsonWebKey; readonly cardFace: JsonWebKey };
  /** Reference data by key reference (`jpki/0018`, `kenhojo/0015` …): salted SHA-256. */
  readonly pins: Record<string, { readonly salt: string; readonly digest: string }>;
  /** The card's personal records (absent in `openmyna-card/1` files, which kept them in the clear). */
  readonly records?: CardRecords;
}

const CardRecordIssuer = z.object({ cvCertificate: z.string(), signerKeyId: z.string() });

/**
 * A virtual card file (`openmyna-card/2`, {@link VirtualCardDocument}) as the issuer hands it out once at
 * the counter: what any reader may read in the clear, and the sealed `secrets`.
 *
 * @example
 * const document = VirtualCardDocumentSchema.parse(JSON.parse(text));
 */
export const VirtualCardDocumentSchema = z.object({
  format: z.literal('openmyna-card/2'),
  variant: z.enum(['card', 'phone']),
  personId: z.string(),
  municipalityCode: z.string(),
  expiry: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  tokenSerial: z.string(),
  jpki: z.object({
    signingIssued: z.boolean(),
    signingCaCertificate: z.string(),
    authenticationCertificate: z.string(),
    authenticationCaCertificate: z.string(),
  }),
  kenhojo: CardRecordIssuer,
  kenkaku: CardRecordIssuer,
  common: z.object({ serial: z.string() }),
  secrets: z.object({
    kdf: z.object({
      name: z.literal('PBKDF2'),
      hash: z.literal('SHA-256'),
      iterations: z.number().int(),
      salt: z.string(),
    }),
    cipher: z.object({ name: z.literal('AES-GCM'), iv: z.string() }),
    ciphertext: z.string(),
  }),
}) satisfies z.ZodType<VirtualCardDocument>;

/** Opens a card file's sealed `secrets` with the card's passphrase (either format). */
export async function openCardSecrets(
  document: VirtualCardDocument | VirtualCardDocumentV1,
  passphrase: string,
): Promise<CardSecrets> {
  if (document.format !== 'openmyna-card/2' && document.format !== 'openmyna-card/1')
    throw new CardError('ERR_CARD_RECORD', 'not an openmyna-card file');
  const identity = { personId: document.personId, tokenSerial: document.tokenSerial };
  return JSON.parse(
    new TextDecoder().decode(
      await openWithPassphrase(document.secrets, passphrase, associatedData(document.format, identity)),
    ),
  ) as CardSecrets;
}

export function encodeStoredPin(pin: StoredPin): { salt: string; digest: string } {
  return { salt: bytesToBase64(pin.salt), digest: bytesToBase64(pin.digest) };
}

/** A card's personal records: sealed in its secrets, or in the clear in an `openmyna-card/1` file. */
export function recordsOf(document: VirtualCardDocument | VirtualCardDocumentV1, secrets: CardSecrets): CardRecords {
  if (document.format === 'openmyna-card/1')
    return {
      ...(document.jpki.signingCertificate ? { signingCertificate: document.jpki.signingCertificate } : {}),
      kenhojo: document.kenhojo,
      kenkaku: document.kenkaku,
      residentCode: document.juki.residentCode,
    };
  if (!secrets.records) throw new CardError('ERR_CARD_RECORD', 'the card file holds no records');
  return secrets.records;
}

/** What the sealed secrets are bound to: the file's format (so a box cannot move between formats) and identity. */
function associatedData(
  format: VirtualCardDocument['format'] | VirtualCardDocumentV1['format'],
  identity: { personId: string; tokenSerial: string },
): Uint8Array {
  return new TextEncoder().encode(`${format}:${identity.personId}:${identity.tokenSerial}`);
}

/** Seals a card's secrets under its passphrase, bound to the file's format and identity. */
export function sealSecrets(
  secrets: CardSecrets,
  passphrase: string,
  format: VirtualCardDocument['format'] | VirtualCardDocumentV1['format'],
  identity: { personId: string; tokenSerial: string },
  iterations?: number,
): Promise<PassphraseBox> {
  return sealWithPassphrase(new TextEncoder().encode(JSON.stringify(secrets)), passphrase, {
    associatedData: associatedData(format, identity),
    ...(iterations ? { iterations } : {}),
  });
}
