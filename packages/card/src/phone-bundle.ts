import { z } from 'zod';

import type { PhoneCardContents } from './phone-card.js';

/** Standard base64 (RFC 4648 §4), padded, never empty. */
const Base64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'not base64');
const SignerKeyId = z.string().min(1).max(64);

/**
 * What a phone's applets serve (the issuer's records and certificates for the phone, base64): the
 * {@link PhoneCardContents} of a {@link PhoneBundle}, as the wallet and the remote secure area install them.
 */
export const PhoneCardContentsSchema = z.object({
  jpki: z.object({
    authenticationCertificate: Base64.max(8_000),
    /** Absent for holders under 15 (no 署名用電子証明書). */
    signingCertificate: Base64.max(8_000).optional(),
    authenticationCaCertificate: Base64.max(8_000),
    signingCaCertificate: Base64.max(8_000),
  }),
  kenhojo: z.object({
    myNumberFile: Base64.max(200),
    basicFourInfoFile: Base64.max(2_000),
    integrityRecord: Base64.max(8_000),
    cvCertificate: Base64.max(2_000),
    signerKeyId: SignerKeyId,
  }),
  kenkaku: z.object({
    cardFaceFile: Base64.max(300_000),
    ageRecord: Base64.max(2_000),
    myNumberImageRecord: Base64.max(300_000),
    cvCertificate: Base64.max(2_000),
    signerKeyId: SignerKeyId,
    /** The 券面 issuer's CV certificate over the phone's own 券面 key (MF-level GET DATA 7F21); older bundles lack it. */
    cardCvCertificate: Base64.max(2_000).optional(),
  }),
  /** 住基AP: the holder's 住民票コード (11 digits), behind the phone's 住基 PIN. */
  juki: z.object({ residentCode: z.string().regex(/^\d{11}$/) }),
  /** The holder's municipality (the 券面AP's basic data and the phone's MF). */
  municipalityCode: z.string().regex(/^\d{5}$/),
  /** `YYYY-MM-DD`. */
  cardExpiry: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
}) satisfies z.ZodType<PhoneCardContents>;

/** The issuer's id of a phone. */
export const PhoneIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

/** A P-256 public JWK (RFC 7518 §6.2.1); a private key (`d`) or any other member is refused. */
export const P256PublicJwkSchema = z.strictObject({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  y: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});

/** A P-256 public JWK, as {@link P256PublicJwkSchema} reads it. */
export interface P256PublicJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
}

/** The phone's bundle, as {@link PhoneBundleSchema} reads it. */
export interface PhoneBundle extends PhoneCardContents {
  readonly phoneId: string;
  readonly mdoc: string;
  readonly batchMdocs?: readonly string[] | undefined;
  readonly pinResetAuthority: { readonly issuer: string; readonly publicJwk: P256PublicJwk };
}

/**
 * What provisioning returns to the phone (`POST /provisioning/sessions/{id}/complete`): everything it
 * installs — its certificates, 入力補助 and 券面 records, 住民票コード, its batch of MSOs and the key it
 * pins for the issuer's PIN-reset authorizations. One schema for the issuer that writes it, the wallet
 * that reads it and the OpenAPI document.
 *
 * @example
 * const bundle = PhoneBundleSchema.parse(await response.json());
 */
export const PhoneBundleSchema = PhoneCardContentsSchema.extend({
  phoneId: PhoneIdSchema,
  /** The mdoc (`{docType, issuerSigned}`), base64 CBOR: the first of the batch, bound to `deviceKey`. */
  mdoc: Base64,
  /** The rest of the batch, bound to `batchDeviceKeys` in order (absent for a batch of one). */
  batchMdocs: z.array(Base64).readonly().optional(),
  /** The key the phone pins to verify this issuer's PIN-reset authorizations. */
  pinResetAuthority: z.object({ issuer: z.string().min(1), publicJwk: P256PublicJwkSchema }),
}) satisfies z.ZodType<PhoneBundle>;
