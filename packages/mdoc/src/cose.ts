import { OpenMynaError } from '@openmyna/core';

import { decodeCbor, encodeCbor, type CborValue } from './cbor.js';
import { asArray, asBytes, asMap, isMap, type CborMap } from './cbor-structure.js';
import type { DigestAlgorithm, EcPrivateKey, MdocCrypto, VerificationKey } from './crypto.js';
import { MdocError } from './errors.js';
import { equalBytes } from './bytes.js';

/** RFC 9052 §3.1 header labels and RFC 9053 algorithm identifiers we use. */
export const COSE_HEADER = { alg: 1, crit: 2, contentType: 3, kid: 4, x5chain: 33 } as const;
export const COSE_ALG = { ES256: -7, ES384: -35, ES512: -36, EdDSA: -8, HMAC256: 5 } as const;

/**
 * What a COSE signature algorithm demands of the key (RFC 9053 §2.1–2.2, ISO/IEC 18013-5 §9.1.3.6):
 * ES256/384/512 are ECDSA with that hash on P-256/384/521; EdDSA is on Ed25519 or Ed448.
 */
const COSE_SIGNATURE_ALGS: Readonly<
  Record<number, { readonly curves: readonly string[]; readonly hash: DigestAlgorithm }>
> = {
  [COSE_ALG.ES256]: { curves: ['P-256'], hash: 'SHA-256' },
  [COSE_ALG.ES384]: { curves: ['P-384'], hash: 'SHA-384' },
  [COSE_ALG.ES512]: { curves: ['P-521'], hash: 'SHA-512' },
  [COSE_ALG.EdDSA]: { curves: ['Ed25519', 'Ed448'], hash: 'SHA-512' },
};

const EMPTY = new Uint8Array(0);

/** `COSE_Sign1` or `COSE_Mac0` as received: the protected header's exact bytes are kept for verification. */
export interface CoseMessage {
  readonly protectedBytes: Uint8Array;
  readonly protectedHeader: CborMap;
  readonly unprotectedHeader: CborMap;
  /** `null` when detached. */
  readonly payload: Uint8Array | null;
  /** The signature (`COSE_Sign1`) or tag (`COSE_Mac0`). */
  readonly proof: Uint8Array;
  readonly alg: number;
}

/**
 * Reads a `COSE_Sign1` / `COSE_Mac0` array (RFC 9052 §4.2, §6.2). `alg` is taken only from the
 * protected header (ISO/IEC 18013-5 §9.1.3.6); an `alg` in the unprotected header, or a `crit`
 * header, is refused. Throws `ERR_COSE_HEADER`.
 */
export function decodeCoseMessage(value: CborValue | undefined, field: string): CoseMessage {
  const [protectedValue, unprotectedValue, payload, proof] = asArray(value, field, 4);
  const protectedBytes = asBytes(protectedValue, `${field}.protected`);
  const protectedHeader = protectedBytes.length === 0 ? new Map() : decodeCbor(protectedBytes, `${field}.protected`);
  if (!isMap(protectedHeader)) throw new MdocError('ERR_COSE_HEADER', `"${field}.protected" must be a map`);
  // An undefined header value (see ENVELOPE in cbor.ts) carries nothing; it is dropped, never interpreted.
  const unprotectedHeader = new Map(
    [...asMap(unprotectedValue, `${field}.unprotected`)].filter(([, value]) => value !== undefined),
  );
  const alg = protectedHeader.get(COSE_HEADER.alg);
  if (typeof alg !== 'number') throw new MdocError('ERR_COSE_HEADER', `"${field}" has no alg in its protected header`);
  // RFC 9052 §3: a label must not appear in both buckets; alg is trusted only when integrity-protected.
  if (unprotectedHeader.has(COSE_HEADER.alg)) {
    throw new MdocError('ERR_COSE_HEADER', `"${field}" carries alg in its unprotected header`);
  }
  for (const label of unprotectedHeader.keys()) {
    if (protectedHeader.has(label)) throw new MdocError('ERR_COSE_HEADER', `"${field}" repeats a header label`);
  }
  // RFC 9052 §3.1: we understand no critical extensions, so a message that lists any is refused.
  if (protectedHeader.has(COSE_HEADER.crit)) {
    throw new MdocError('ERR_COSE_HEADER', `"${field}" lists critical headers we do not process`);
  }
  if (payload !== null && !(payload instanceof Uint8Array)) {
    throw new MdocError('ERR_COSE_HEADER', `"${field}.payload" must be a byte string or null`);
  }
  return {
    protectedBytes,
    protectedHeader,
    unprotectedHeader,
    payload,
    proof: asBytes(proof, `${field}.signature`),
    alg,
  };
}

/** The certificates of `x5chain` (RFC 9360 §2): one bstr or an array of them, leaf first. */
export function x5chainOf(message: CoseMessage, field: string): Uint8Array[] {
  const chain = message.unprotectedHeader.get(COSE_HEADER.x5chain) ?? message.protectedHeader.get(COSE_HEADER.x5chain);
  if (chain instanceof Uint8Array) return [chain];
  if (Array.isArray(chain) && chain.length > 0) {
    return (chain as CborValue[]).map((entry, index) => asBytes(entry, `${field}.x5chain[${index}]`));
  }
  throw new MdocError('ERR_COSE_HEADER', `"${field}" has no x5chain`);
}

function toBeSigned(context: 'Signature1' | 'MAC0', protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  // RFC 9052 §4.4 Sig_structure / §6.3 MAC_structure; ISO/IEC 18013-5 uses an empty external_aad.
  return encodeCbor([context, protectedBytes, EMPTY, payload]);
}

function payloadOf(message: CoseMessage, detached: Uint8Array | undefined, field: string): Uint8Array {
  if (detached !== undefined) {
    if (message.payload !== null) throw new MdocError('ERR_COSE_HEADER', `"${field}" must have a detached payload`);
    return detached;
  }
  if (message.payload === null) throw new MdocError('ERR_COSE_HEADER', `"${field}" has no payload`);
  return message.payload;
}

/**
 * Signs a `COSE_Sign1` with ES256. With `detached`, the payload is signed but sent as `null`.
 *
 * @example
 * ```ts
 * const issuerAuth = await signCoseSign1({ payload: msoBytes, key: documentSigner, unprotected: new Map([[33, dsDer]]) });
 * ```
 */
export async function signCoseSign1(options: {
  readonly payload: Uint8Array;
  readonly key: EcPrivateKey;
  readonly unprotected?: Map<number, unknown>;
  /** Protected headers besides alg (e.g. `typ`). */
  readonly protectedExtra?: Map<number, unknown>;
  readonly detached?: boolean;
}): Promise<[Uint8Array, Map<number, unknown>, Uint8Array | null, Uint8Array]> {
  const protectedBytes = encodeCbor(
    new Map<number, unknown>([[COSE_HEADER.alg, COSE_ALG.ES256], ...(options.protectedExtra ?? [])]),
  );
  const signature = await options.key.signEs256(toBeSigned('Signature1', protectedBytes, options.payload));
  return [protectedBytes, options.unprotected ?? new Map(), options.detached ? null : options.payload, signature];
}

/**
 * Verifies a `COSE_Sign1` under `key`: ES256, ES384, ES512 or EdDSA, the one the key's curve serves;
 * false for any other algorithm and for an algorithm that does not match the key.
 */
export async function verifyCoseSign1(options: {
  readonly message: CoseMessage;
  readonly key: VerificationKey;
  readonly crypto: MdocCrypto;
  readonly detachedPayload?: Uint8Array;
  readonly field: string;
}): Promise<boolean> {
  const { message } = options;
  // A key with another algorithm than its curve serves is a header/key mismatch (RFC 9052 §7.1).
  const algorithm = COSE_SIGNATURE_ALGS[message.alg];
  if (!algorithm?.curves.includes(options.key.crv)) return false;
  const payload = payloadOf(message, options.detachedPayload, options.field);
  return options.crypto.verifySignature(
    options.key,
    algorithm.hash,
    toBeSigned('Signature1', message.protectedBytes, payload),
    message.proof,
  );
}

/**
 * The outcome of a COSE signature or MAC verification for a named check, failing closed: undefined
 * when it verifies, else `reason`, with the error's code when the verification threw (a malformed
 * key or payload), so the check's report keeps it rather than a bare false (STYLE.md 8).
 *
 * @example
 * ```ts
 * const problem = await coseVerificationProblem(verifyCoseSign1({ ... }), 'issuerAuth does not verify');
 * checks.push(problem ? fail('issuer.signature', problem) : pass('issuer.signature'));
 * ```
 */
export async function coseVerificationProblem(
  verification: Promise<boolean>,
  reason: string,
): Promise<string | undefined> {
  try {
    return (await verification) ? undefined : reason;
  } catch (error) {
    return `${reason} (${error instanceof OpenMynaError ? error.code : 'verification failed'})`;
  }
}

/** Makes a `COSE_Mac0` with HMAC 256/256 over a detached payload (ISO/IEC 18013-5 §9.1.3.5). */
export async function createCoseMac0(options: {
  readonly payload: Uint8Array;
  readonly key: Uint8Array;
  readonly crypto: MdocCrypto;
}): Promise<[Uint8Array, Map<number, unknown>, null, Uint8Array]> {
  const protectedBytes = encodeCbor(new Map([[COSE_HEADER.alg, COSE_ALG.HMAC256]]));
  const tag = await options.crypto.hmacSha256(options.key, toBeSigned('MAC0', protectedBytes, options.payload));
  return [protectedBytes, new Map(), null, tag];
}

/** Verifies a `COSE_Mac0` (HMAC 256/256 only), comparing tags in constant time. */
export async function verifyCoseMac0(options: {
  readonly message: CoseMessage;
  readonly key: Uint8Array;
  readonly crypto: MdocCrypto;
  readonly detachedPayload: Uint8Array;
  readonly field: string;
}): Promise<boolean> {
  const { message } = options;
  if (message.alg !== COSE_ALG.HMAC256) return false;
  const payload = payloadOf(message, options.detachedPayload, options.field);
  const expected = await options.crypto.hmacSha256(options.key, toBeSigned('MAC0', message.protectedBytes, payload));
  return equalBytes(expected, message.proof);
}
