import { bytesToHex, concatBytes, hexToBytes } from '@noble/hashes/utils.js';

import { equalBytes } from './bytes.js';
import { OID } from './oids.js';
import { readRsaPublicKey } from './rsa-key.js';
import { verifySignature, type SignatureBackend } from './verify-signature.js';

import { PkiError } from './errors.js';

/** `DigestInfo` prefixes (RFC 8017 §9.2 note 1) for the hashes JPKI uses. */
const DIGEST_INFO_PREFIX = {
  'SHA-256': hexToBytes('3031300d060960864801650304020105000420'),
  'SHA-1': hexToBytes('3021300906052b0e03021a05000414'),
} as const;

/** A hash that JPKI signatures are made over. */
export type DigestAlgorithm = keyof typeof DIGEST_INFO_PREFIX;

const DIGEST_LENGTH: Record<DigestAlgorithm, number> = { 'SHA-256': 32, 'SHA-1': 20 };

/**
 * The DER `DigestInfo` of a hash, as the card signs it with `80 2A 00 80` (card-spec §2.1).
 *
 * @example
 * ```ts
 * encodeDigestInfo('SHA-256', await sha256(message)); // 3031300d…0420 ‖ hash (51 bytes)
 * ```
 */
export function encodeDigestInfo(algorithm: DigestAlgorithm, digest: Uint8Array): Uint8Array {
  if (digest.length !== DIGEST_LENGTH[algorithm]) {
    throw new PkiError('ERR_DIGEST_INFO', `a ${algorithm} digest has ${DIGEST_LENGTH[algorithm]} bytes`);
  }
  return concatBytes(DIGEST_INFO_PREFIX[algorithm], digest);
}

/** Reads a `DigestInfo` for SHA-256 or SHA-1, byte for byte against the only DER form each has. */
export function decodeDigestInfo(digestInfo: Uint8Array): { algorithm: DigestAlgorithm; digest: Uint8Array } {
  for (const algorithm of Object.keys(DIGEST_INFO_PREFIX) as DigestAlgorithm[]) {
    const prefix = DIGEST_INFO_PREFIX[algorithm];
    if (
      digestInfo.length === prefix.length + DIGEST_LENGTH[algorithm] &&
      equalBytes(digestInfo.subarray(0, prefix.length), prefix)
    ) {
      return { algorithm, digest: digestInfo.slice(prefix.length) };
    }
  }
  throw new PkiError('ERR_DIGEST_INFO', 'not a DER DigestInfo for SHA-256 or SHA-1');
}

/** An RSA public key as the two integers of RFC 8017 §A.1.1. */
export interface RsaPublicNumbers {
  readonly modulus: bigint;
  readonly publicExponent: bigint;
}

/**
 * RSAVP1 (RFC 8017 §5.2.2) followed by EMSA-PKCS1-v1_5 unpadding: the data the private key signed.
 * Used where Web Crypto cannot help: signatures over a given `DigestInfo` (the card's `80 2A` with
 * P1 = 00) and the card face's 96-byte digest list. Returns `undefined` for anything that is not a
 * well-formed type-01 block; never throws on a bad signature.
 */
export function recoverPkcs1SignedData(key: RsaPublicNumbers, signature: Uint8Array): Uint8Array | undefined {
  const length = byteLength(key.modulus);
  if (signature.length !== length) return undefined;
  const s = BigInt(`0x${bytesToHex(signature) || '0'}`);
  if (s >= key.modulus) return undefined;
  const em = hexToBytes(
    modPow(s, key.publicExponent, key.modulus)
      .toString(16)
      .padStart(length * 2, '0'),
  );
  // EMSA-PKCS1-v1_5: 00 01 FF…FF 00 T, with at least 8 bytes of FF.
  if (em[0] !== 0x00 || em[1] !== 0x01) return undefined;
  let index = 2;
  while (index < em.length && em[index] === 0xff) index++;
  if (index < 10 || em[index] !== 0x00) return undefined;
  return em.slice(index + 1);
}

/** The RSA public numbers of a PKCS#1 `RSAPublicKey` given as its two big-endian integers. */
export function rsaPublicNumbers(modulus: Uint8Array, publicExponent: Uint8Array): RsaPublicNumbers {
  return {
    modulus: BigInt(`0x${bytesToHex(modulus) || '0'}`),
    publicExponent: BigInt(`0x${bytesToHex(publicExponent) || '0'}`),
  };
}

function byteLength(value: bigint): number {
  return Math.ceil(value.toString(16).length / 2);
}

/** `base^exponent mod modulus` by square-and-multiply (not constant-time: for public operations, or behind blinding). */
export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

/** The RSA public numbers of a SubjectPublicKeyInfo (RFC 8017 §A.1.1 inside RFC 5280 §4.1.2.7). */
export function rsaPublicNumbersOf(subjectPublicKeyInfo: Uint8Array): RsaPublicNumbers {
  const key = readRsaPublicKey(subjectPublicKeyInfo);
  return rsaPublicNumbers(key.modulus, key.publicExponent);
}

/**
 * Verifies an RSASSA-PKCS1-v1_5 signature over a document, as the card makes it with `80 2A` over
 * the DigestInfo of the document's hash (card-spec §2.1, P1 = 00 or 03).
 *
 * @example
 * ```ts
 * await verifyPkcs1Signature({ subjectPublicKeyInfo, data: message, signature, hash: 'SHA-256' }); // true
 * ```
 */
export async function verifyPkcs1Signature(options: {
  readonly subjectPublicKeyInfo: Uint8Array;
  readonly data: Uint8Array;
  readonly signature: Uint8Array;
  readonly hash: DigestAlgorithm;
  readonly backend?: SignatureBackend;
}): Promise<boolean> {
  const algorithm = options.hash === 'SHA-256' ? OID.sha256WithRSAEncryption : OID.sha1WithRSAEncryption;
  const result = await verifySignature({
    data: options.data,
    signature: options.signature,
    algorithm: { oid: algorithm, parameters: undefined, raw: new Uint8Array() },
    publicKeyInfo: options.subjectPublicKeyInfo,
    // End-entity keys change from call to call; only CA and responder keys are worth caching.
    cacheKey: false,
    ...(options.backend ? { backend: options.backend } : {}),
  });
  return result === 'valid';
}

/**
 * Verifies a signature over a given DigestInfo (the card's `80 2A 00 80` over data the caller
 * hashed): the recovered block must equal `digestInfo` exactly, compared in constant time.
 */
export function verifyPkcs1DigestInfo(options: {
  readonly subjectPublicKeyInfo: Uint8Array;
  readonly digestInfo: Uint8Array;
  readonly signature: Uint8Array;
}): boolean {
  const recovered = recoverPkcs1SignedData(rsaPublicNumbersOf(options.subjectPublicKeyInfo), options.signature);
  return recovered !== undefined && equalBytes(recovered, options.digestInfo);
}
