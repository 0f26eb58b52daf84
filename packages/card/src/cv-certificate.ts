import { bytesToBinaryString, decodeTlv, decodeTlvSequence, encodeTlv, findTlv } from '@openmyna/core';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  encodeDigestInfo,
  fail,
  pass,
  recoverPkcs1SignedData,
  rsaPublicNumbers,
  type CheckResult,
  type Signer,
} from '@openmyna/pki';

import { CardError } from './errors.js';
import { constantTimeEqual } from '@openmyna/core';

/** An RSA public key in the card's form: `90 03 010001 91 82 0100 <modulus>` (card-spec §3.5). */
export interface CardRsaPublicKey {
  readonly modulus: Uint8Array;
  readonly exponent: Uint8Array;
}

/**
 * A card-verifiable certificate (card-spec §3.7): `7F21 { 5F4E body, 5F37 signature }`, body =
 * issuer key ID (16) ‖ subject key ID (16) ‖ the subject's public key (265 bytes); the signature is
 * PKCS#1 v1.5 / SHA-256 over the body by the issuer's key.
 */
export interface CvCertificate {
  readonly issuerKeyId: string;
  readonly subjectKeyId: string;
  readonly subjectKey: CardRsaPublicKey;
  readonly body: Uint8Array;
  readonly signature: Uint8Array;
  readonly raw: Uint8Array;
}

const KEY_ID = /^(\d{7})\/(\d{3})$/;

/**
 * A 16-byte key ID from its printed form `9000033/001`: 7 ASCII digits, `08 05`, 3 ASCII digits and
 * 4 trailing bytes (`00000000`, or `000000A8` for MF-level keys). J-LIS uses leading digits 5
 * (production) and 6 (test); openmyna's own keys start with 9.
 */
export function encodeKeyId(printed: string, mfLevel = false): Uint8Array {
  const match = KEY_ID.exec(printed);
  if (!match) throw new CardError('ERR_CARD_RECORD', 'a key ID is written like 9000033/001');
  const bytes = new Uint8Array(16);
  bytes.set(new TextEncoder().encode(match[1]), 0);
  bytes.set([0x08, 0x05], 7);
  bytes.set(new TextEncoder().encode(match[2]), 9);
  if (mfLevel) bytes[15] = 0xa8;
  return bytes;
}

/** The printed form of a 16-byte key ID. */
export function decodeKeyId(bytes: Uint8Array): string {
  const text = (from: number, to: number) => bytesToBinaryString(bytes.subarray(from, to));
  if (
    bytes.length !== 16 ||
    bytes[7] !== 0x08 ||
    bytes[8] !== 0x05 ||
    !/^\d{7}$/.test(text(0, 7)) ||
    !/^\d{3}$/.test(text(9, 12))
  ) {
    throw new CardError('ERR_CARD_RECORD', 'not a card key ID');
  }
  return `${text(0, 7)}/${text(9, 12)}`;
}

/** The card's 265-byte public key encoding. */
export function encodeCardPublicKey(key: CardRsaPublicKey): Uint8Array {
  return new Uint8Array([...encodeTlv(0x90, key.exponent), ...encodeTlv(0x91, key.modulus)]);
}

/** Reads `90 exponent 91 modulus`. */
export function decodeCardPublicKey(bytes: Uint8Array): CardRsaPublicKey {
  const [exponent, modulus, extra] = sequence(bytes, 'card public key');
  if (exponent?.tag !== 0x90 || modulus?.tag !== 0x91 || extra)
    throw new CardError('ERR_CARD_RECORD', 'a card public key is 90 exponent, 91 modulus');
  return { exponent: exponent.value, modulus: modulus.value };
}

/** Issues a CV certificate for `subjectKey`, signed by `issuer` (PKCS#1 v1.5 / SHA-256 over the body). */
export async function issueCvCertificate(options: {
  readonly issuerKeyId: Uint8Array;
  readonly subjectKeyId: Uint8Array;
  readonly subjectKey: CardRsaPublicKey;
  readonly issuer: Pick<Signer, 'sign'>;
}): Promise<Uint8Array> {
  const body = new Uint8Array([
    ...options.issuerKeyId,
    ...options.subjectKeyId,
    ...encodeCardPublicKey(options.subjectKey),
  ]);
  const signature = await options.issuer.sign(body);
  return encodeTlv(0x7f21, [encodeTlv(0x5f4e, body), encodeTlv(0x5f37, signature)]);
}

/**
 * Parses a CV certificate strictly: the `7F21 { 5F4E body, 5F37 signature }` object as an EF holds it,
 * or the template's contents alone (`5F4E … 5F37 …`), as MF-level GET DATA returns it (card-spec §3.7).
 * `raw` is always the `7F21` object.
 *
 * @example
 * ```ts
 * decodeCvCertificate(await reader.readCvCertificate()).subjectKeyId; // '1322121/000'
 * ```
 */
export function decodeCvCertificate(bytes: Uint8Array): CvCertificate {
  if (bytes[0] !== 0x7f) return decodeCvCertificateContents(bytes, encodeTlv(0x7f21, bytes));
  let object;
  try {
    object = decodeTlv(bytes);
  } catch (error) {
    throw new CardError('ERR_CARD_RECORD', 'the CV certificate is not one BER-TLV object', { cause: error });
  }
  if (object.tag !== 0x7f21) throw new CardError('ERR_CARD_RECORD', 'a CV certificate has tag 7F21');
  return decodeCvCertificateContents(object.value, object.raw);
}

/** The contents of a CV certificate's `7F21` template, as MF-level GET DATA answers them. */
export function cvCertificateContents(certificate: Uint8Array): Uint8Array {
  return decodeTlv(decodeCvCertificate(certificate).raw).value;
}

function decodeCvCertificateContents(contents: Uint8Array, raw: Uint8Array): CvCertificate {
  let parts;
  try {
    parts = decodeTlvSequence(contents);
  } catch (error) {
    throw new CardError('ERR_CARD_RECORD', 'the CV certificate’s contents are not BER-TLV objects', { cause: error });
  }
  const body = findTlv(parts, 0x5f4e);
  const signature = findTlv(parts, 0x5f37);
  if (!body || !signature || parts.length !== 2 || body.value.length < 32 + 5)
    throw new CardError('ERR_CARD_RECORD', 'a CV certificate has 5F4E and 5F37');
  return {
    issuerKeyId: decodeKeyId(body.value.subarray(0, 16)),
    subjectKeyId: decodeKeyId(body.value.subarray(16, 32)),
    subjectKey: decodeCardPublicKey(body.value.subarray(32)),
    body: body.value,
    signature: signature.value,
    raw,
  };
}

/** Verifies a PKCS#1 v1.5 / SHA-256 signature over `data` with a card public key (constant-time compare). */
/**
 * How a card record signature is verified: RSASSA-PKCS1-v1_5 with SHA-256 under a card RSA key. The
 * default is {@link verifyCardSignature} (portable BigInt); Node passes `nodeCardSignatureCheck` from
 * `@openmyna/card/node` (OpenSSL), several times faster.
 */
export type CardSignatureCheck = (key: CardRsaPublicKey, data: Uint8Array, signature: Uint8Array) => boolean;

export function verifyCardSignature(key: CardRsaPublicKey, data: Uint8Array, signature: Uint8Array): boolean {
  const recovered = recoverPkcs1SignedData(rsaPublicNumbers(key.modulus, key.exponent), signature);
  return recovered !== undefined && constantTimeEqual(recovered, encodeDigestInfo('SHA-256', sha256(data)));
}

/**
 * The named check of a record set's CV certificate: signed by a CA key the verifier trusts. The
 * certified key is returned only when the check passes, so nothing is verified under an uncertified key.
 */
export function checkCvCertificate(
  check: string,
  bytes: Uint8Array,
  caKeys: ReadonlyMap<string, CardRsaPublicKey>,
  verify: CardSignatureCheck = verifyCardSignature,
): { result: CheckResult; subjectKey?: CardRsaPublicKey } {
  let certificate: CvCertificate;
  try {
    certificate = decodeCvCertificate(bytes);
  } catch {
    return { result: fail(check, 'the CV certificate cannot be read') };
  }
  const caKey = caKeys.get(certificate.issuerKeyId);
  if (!caKey) return { result: fail(check, `CA key ${certificate.issuerKeyId} is not trusted`) };
  if (!verify(caKey, certificate.body, certificate.signature))
    return { result: fail(check, 'the CV certificate signature does not verify') };
  return { result: pass(check), subjectKey: certificate.subjectKey };
}

function sequence(bytes: Uint8Array, what: string) {
  try {
    return decodeTlvSequence(bytes);
  } catch (error) {
    throw new CardError('ERR_CARD_RECORD', `${what} is not BER-TLV`, { cause: error });
  }
}
