import { decodeTlv, decodeTlvChildren } from '@openmyna/core';
import {
  fail,
  findExtension,
  KEY_USAGE_BIT,
  namesMatch,
  parseCertificate,
  pass,
  readAuthorityKeyIdentifier,
  skip,
  readBasicConstraints,
  readExtendedKeyUsage,
  readKeyUsage,
  readSubjectKeyIdentifier,
  type CheckResult,
  type X509Certificate,
} from '@openmyna/pki';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';

import { equalBytes } from './bytes.js';
import { MDOC_OID, type AuthorizedElement } from './certificate-profiles.js';
import {
  ecdsaDerToRaw,
  verificationKey,
  type DigestAlgorithm,
  type EcPublicKey,
  type MdocCrypto,
  type OkpPublicKey,
  type VerificationKey,
} from './crypto.js';
import { MdocError } from './errors.js';

/**
 * The one DER form of each supported key's SubjectPublicKeyInfo up to the key itself: named-curve EC keys
 * with an uncompressed point (RFC 5480 §2), Ed25519 and Ed448 (RFC 8410 §4). Anything else is refused.
 */
const SPKI_FORMS: readonly {
  readonly crv: VerificationKey['crv'];
  readonly prefix: Uint8Array;
  readonly size: number;
}[] = [
  { crv: 'P-256', prefix: hexToBytes('3059301306072a8648ce3d020106082a8648ce3d030107034200'), size: 32 },
  { crv: 'P-384', prefix: hexToBytes('3076301006072a8648ce3d020106052b81040022036200'), size: 48 },
  { crv: 'P-521', prefix: hexToBytes('30819b301006072a8648ce3d020106052b8104002303818600'), size: 66 },
  { crv: 'Ed25519', prefix: hexToBytes('302a300506032b6570032100'), size: 32 },
  { crv: 'Ed448', prefix: hexToBytes('3043300506032b6571033a00'), size: 57 },
];

/** Certificate signature algorithms (RFC 5758 §3.2, RFC 8410 §3): the hash, or EdDSA on a given curve. */
const SIGNATURE_ALGORITHMS: Readonly<
  Record<string, { readonly hash: DigestAlgorithm } | { readonly eddsa: OkpPublicKey['crv'] }>
> = {
  '1.2.840.10045.4.3.2': { hash: 'SHA-256' },
  '1.2.840.10045.4.3.3': { hash: 'SHA-384' },
  '1.2.840.10045.4.3.4': { hash: 'SHA-512' },
  '1.3.101.112': { eddsa: 'Ed25519' },
  '1.3.101.113': { eddsa: 'Ed448' },
};
const HANDLED_CRITICAL = new Set(['2.5.29.15', '2.5.29.19', '2.5.29.37']);

/** A configured root (IACA or reader CA) with its key read once. */
export interface MdocTrustAnchor {
  readonly certificate: X509Certificate;
  readonly publicKey: VerificationKey;
  readonly keyIdentifier?: Uint8Array;
}

/** The key of a certificate ({@link publicKeyFromSpki}); throws `ERR_MDOC_CERTIFICATE` for an unsupported one. */
export function ecPublicKeyOfCertificate(certificate: X509Certificate): VerificationKey {
  return publicKeyFromSpki(certificate.subjectPublicKeyInfo);
}

/** A P-256 key from its SubjectPublicKeyInfo (our own keys); throws `ERR_MDOC_CERTIFICATE` for any other. */
export function ecPublicKeyFromSpki(spki: Uint8Array): EcPublicKey {
  const key = publicKeyFromSpki(spki);
  if (key.crv !== 'P-256') throw new MdocError('ERR_MDOC_CERTIFICATE', 'the key is not a P-256 key');
  return key;
}

/**
 * A verification key from its SubjectPublicKeyInfo, accepting only the one DER form of each supported key
 * ({@link VerificationKey}: P-256, P-384, P-521 uncompressed; Ed25519, Ed448); throws
 * `ERR_MDOC_CERTIFICATE` for anything else.
 */
export function publicKeyFromSpki(spki: Uint8Array): VerificationKey {
  // Certificate keys recur on every verification (document signers, readers); one object per key lets
  // crypto backends keep the imported key (e.g. nodeMdocCrypto's KeyObject), as pki does for CA keys.
  const cacheKey = bytesToHex(spki);
  const cached = certificateKeys.get(cacheKey);
  if (cached) return cached;
  const key = readSpki(spki);
  if (certificateKeys.size >= 1024) certificateKeys.clear();
  certificateKeys.set(cacheKey, key);
  return key;
}

const certificateKeys = new Map<string, VerificationKey>();

function readSpki(spki: Uint8Array): VerificationKey {
  for (const { crv, prefix, size } of SPKI_FORMS) {
    if (!equalBytes(spki.subarray(0, prefix.length), prefix)) continue;
    const key = spki.subarray(prefix.length);
    try {
      if (crv === 'Ed25519' || crv === 'Ed448') {
        if (key.length === size) return verificationKey(crv, key.slice());
      } else if (key.length === 1 + 2 * size && key[0] === 4) {
        return verificationKey(crv, key.slice(1, 1 + size), key.slice(1 + size));
      }
    } catch (error) {
      throw new MdocError('ERR_MDOC_CERTIFICATE', `the certificate's ${crv} key is not a valid point`, {
        cause: error,
      });
    }
  }
  throw new MdocError(
    'ERR_MDOC_CERTIFICATE',
    'the certificate key is not a supported key (P-256, P-384 or P-521 uncompressed; Ed25519; Ed448)',
  );
}

/**
 * Reads a trust anchor (an IACA or reader-CA certificate, DER). Throws `ERR_MDOC_CERTIFICATE`.
 *
 * @example
 * ```ts
 * const anchors = [mdocTrustAnchor(iacaDer)];
 * ```
 */
export function mdocTrustAnchor(der: Uint8Array): MdocTrustAnchor {
  let certificate: X509Certificate;
  try {
    certificate = parseCertificate(der);
  } catch (error) {
    throw new MdocError('ERR_MDOC_CERTIFICATE', 'the trust anchor is not a DER certificate', { cause: error });
  }
  const ski = findExtension(certificate, '2.5.29.14');
  return {
    certificate,
    publicKey: ecPublicKeyOfCertificate(certificate),
    ...(ski ? { keyIdentifier: readSubjectKeyIdentifier(ski.value) } : {}),
  };
}

/** Decodes the {@link MDOC_OID.readerAuthorization} extension. */
export function readReaderAuthorization(value: Uint8Array): AuthorizedElement[] {
  const text = new TextDecoder('utf-8', { fatal: true });
  return decodeTlvChildren(decodeTlv(value)).map((entry) => {
    const fields = decodeTlvChildren(entry);
    if (entry.tag !== 0x30 || fields.length !== 3 || fields.some((field) => field.tag !== 0x0c)) {
      throw new MdocError('ERR_MDOC_CERTIFICATE', 'readerAuthorization entries are three UTF8Strings');
    }
    const [docType, nameSpace, elementIdentifier] = fields.map((field) => text.decode(field.value)) as [
      string,
      string,
      string,
    ];
    return { docType, nameSpace, elementIdentifier };
  });
}

/** What a validated chain yields besides its checks. */
export interface ValidatedLeaf {
  readonly certificate: X509Certificate;
  readonly publicKey: VerificationKey;
  readonly anchor: MdocTrustAnchor;
  /** Readers: the elements the certificate authorizes, or undefined when it has no such extension. */
  readonly authorizedElements?: readonly AuthorizedElement[];
}

/**
 * Validated chains, with what does not depend on the time (see `chainCache`). Keyed by everything the
 * verdict depends on — the role, the whole chain and the trust anchors ({@link chainCacheKey}) — and
 * holding successes only: a cache can save work, never change a verdict.
 */
export type MdocChainCache = Map<string, { readonly checks: CheckResult[]; readonly leaf: ValidatedLeaf }>;

// Per anchor object, never per list: a list can change, an anchor's certificate cannot.
const anchorDigests = new WeakMap<MdocTrustAnchor, Uint8Array>();
function anchorDigest(anchor: MdocTrustAnchor): Uint8Array {
  let digest = anchorDigests.get(anchor);
  if (!digest) anchorDigests.set(anchor, (digest = sha256(anchor.certificate.der)));
  return digest;
}

/** How many validated chains a cache keeps before it starts over. */
export const CHAIN_CACHE_ENTRIES = 256;

/**
 * SHA-256 over the role, every certificate of the chain and every anchor's certificate (by its own
 * SHA-256, computed once per anchor: a long trust list is not rehashed on every verification), each
 * length-prefixed.
 */
export function chainCacheKey(
  role: MdocChainOptions['role'],
  chain: readonly Uint8Array[],
  anchors: readonly MdocTrustAnchor[],
): string {
  const hash = sha256.create();
  const count = (n: number) => hash.update(Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff));
  const part = (bytes: Uint8Array) => {
    count(bytes.length);
    hash.update(bytes);
  };
  part(utf8ToBytes(role));
  count(chain.length);
  for (const der of chain) part(der);
  count(anchors.length);
  for (const anchor of anchors) part(anchorDigest(anchor));
  return bytesToHex(hash.digest());
}

export interface MdocChainOptions {
  readonly chain: readonly Uint8Array[];
  readonly anchors: readonly MdocTrustAnchor[];
  readonly role: 'document-signer' | 'reader';
  readonly time: Date;
  readonly crypto: MdocCrypto;
  /** Check names start with this (`issuer` or `reader`). */
  readonly prefix: string;
  readonly cache?: MdocChainCache | undefined;
}

/**
 * Validates a document-signer or reader-authentication chain (ISO/IEC 18013-5 §9.3.3 and Annex B)
 * as ordered named checks: `<prefix>.certificate.parse`, `.chain.anchor`, `.chain.signature`,
 * `.certificate.profile`, `.certificate.validity`. Fails closed: after a failure nothing is returned.
 */
export async function validateMdocChain(
  options: MdocChainOptions,
): Promise<{ checks: CheckResult[]; leaf?: ValidatedLeaf }> {
  const { prefix, cache } = options;
  const key = cache ? chainCacheKey(options.role, options.chain, options.anchors) : undefined;
  let cached: { checks: CheckResult[]; leaf?: ValidatedLeaf } | undefined = key ? cache!.get(key) : undefined;
  if (!cached) {
    cached = await validateTimeless(options);
    // Failures are never kept: a broken chain must not shadow the good one from the same signer.
    if (key && cached.leaf) {
      if (cache!.size >= CHAIN_CACHE_ENTRIES) cache!.clear();
      cache!.set(key, { checks: cached.checks, leaf: cached.leaf });
    }
  }
  const checks = [...cached.checks];
  if (!cached.leaf) return { checks };
  const { certificate, anchor } = cached.leaf;
  const time = options.time.getTime();
  // ISO/IEC 18013-5 §9.3.3 / RFC 5280 §6.1.3 (a)(2): every certificate in the path is valid at the time.
  for (const [name, cert] of [
    ['leaf', certificate],
    ['anchor', anchor.certificate],
  ] as const) {
    if (time < cert.notBefore.getTime() || time > cert.notAfter.getTime()) {
      checks.push(
        fail(
          `${prefix}.certificate.validity`,
          `the ${name} certificate is valid ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}`,
        ),
      );
      return { checks };
    }
  }
  checks.push(pass(`${prefix}.certificate.validity`));
  return { checks, leaf: cached.leaf };
}

async function validateTimeless(options: MdocChainOptions): Promise<{ checks: CheckResult[]; leaf?: ValidatedLeaf }> {
  const { prefix } = options;
  const checks: CheckResult[] = [];
  let certificate: X509Certificate;
  let publicKey: VerificationKey;
  try {
    if (!options.chain[0]) throw new Error('the chain is empty');
    certificate = parseCertificate(options.chain[0]);
    publicKey = ecPublicKeyOfCertificate(certificate);
  } catch (error) {
    checks.push(fail(`${prefix}.certificate.parse`, (error as Error).message));
    return { checks };
  }
  checks.push(pass(`${prefix}.certificate.parse`));

  // A configured certificate that is the leaf itself is trusted directly (pinned); there is no issuer
  // signature to check then. ISO/IEC 18013-5 Annex D publishes such a document signer without its IACA.
  const pinned = options.anchors.find((candidate) => equalBytes(candidate.certificate.der, certificate.der));
  if (pinned && options.chain.length === 1) {
    checks.push(pass(`${prefix}.chain.anchor`), skip(`${prefix}.chain.signature`, 'the certificate itself is pinned'));
    return finishProfile(checks, certificate, publicKey, pinned, options);
  }
  const anchor = findAnchor(certificate, options.anchors);
  // ISO/IEC 18013-5 §9.1.2.4: x5chain holds the DS certificate, optionally followed by the IACA itself.
  const extra = options.chain.slice(1);
  if (!anchor || extra.some((der) => !equalBytes(der, anchor.certificate.der)) || extra.length > 1) {
    checks.push(fail(`${prefix}.chain.anchor`, 'the certificate was not issued by a configured trust anchor'));
    return { checks };
  }
  checks.push(pass(`${prefix}.chain.anchor`));

  const signed = await certificateSignedBy(certificate, anchor.publicKey, options.crypto);
  if (!signed) {
    checks.push(fail(`${prefix}.chain.signature`, 'the certificate signature does not verify under the anchor key'));
    return { checks };
  }
  checks.push(pass(`${prefix}.chain.signature`));
  return finishProfile(checks, certificate, publicKey, anchor, options);
}

/**
 * Whether `certificate` is signed by `issuerKey` with an algorithm the key can serve: ECDSA with
 * SHA-256/384/512 under an EC key (any hash with any curve, as X.509 allows), EdDSA under the matching
 * Ed25519/Ed448 key; the algorithm without parameters and the same inside and outside the signed part.
 */
async function certificateSignedBy(
  certificate: X509Certificate,
  issuerKey: VerificationKey,
  crypto: MdocCrypto,
): Promise<boolean> {
  const algorithm = SIGNATURE_ALGORITHMS[certificate.signatureAlgorithm.oid];
  if (
    !algorithm ||
    certificate.signatureAlgorithm.parameters !== undefined ||
    certificate.signature.oid !== certificate.signatureAlgorithm.oid
  )
    return false;
  if ('eddsa' in algorithm) {
    if (issuerKey.crv !== algorithm.eddsa) return false;
    return crypto.verifySignature(issuerKey, 'SHA-512', certificate.tbsCertificate, certificate.signatureValue);
  }
  if (issuerKey.crv === 'Ed25519' || issuerKey.crv === 'Ed448') return false;
  const raw = ecdsaDerToRaw(certificate.signatureValue, issuerKey.crv);
  return raw !== undefined && crypto.verifySignature(issuerKey, algorithm.hash, certificate.tbsCertificate, raw);
}

function finishProfile(
  checks: CheckResult[],
  certificate: X509Certificate,
  publicKey: VerificationKey,
  anchor: MdocTrustAnchor,
  options: MdocChainOptions,
): { checks: CheckResult[]; leaf?: ValidatedLeaf } {
  const { prefix } = options;
  const profile = profileProblem(certificate, options.role);
  if (profile) {
    checks.push(fail(`${prefix}.certificate.profile`, profile));
    return { checks };
  }
  checks.push(pass(`${prefix}.certificate.profile`));
  const authorization = findExtension(certificate, MDOC_OID.readerAuthorization);
  return {
    checks,
    leaf: {
      certificate,
      publicKey,
      anchor,
      ...(authorization ? { authorizedElements: readReaderAuthorization(authorization.value) } : {}),
    },
  };
}

/**
 * The configured anchor that issued `certificate`: a CA certificate (a pinned end-entity certificate
 * trusts only itself, never what its key signs — ISO/IEC 18013-5 Annex B has DS → IACA only) whose
 * name, and key identifier where both are given, match. Undefined for an unreadable AKI.
 */
function findAnchor(certificate: X509Certificate, anchors: readonly MdocTrustAnchor[]): MdocTrustAnchor | undefined {
  let aki: Uint8Array | undefined;
  try {
    const akiExtension = findExtension(certificate, '2.5.29.35');
    aki = akiExtension ? readAuthorityKeyIdentifier(akiExtension.value) : undefined;
  } catch {
    return undefined;
  }
  return anchors.find(
    (anchor) =>
      isCertificateAuthority(anchor.certificate) &&
      namesMatch(anchor.certificate.subject, certificate.issuer) &&
      (!aki || !anchor.keyIdentifier || equalBytes(aki, anchor.keyIdentifier)),
  );
}

function isCertificateAuthority(certificate: X509Certificate): boolean {
  try {
    const basicConstraints = findExtension(certificate, '2.5.29.19');
    return basicConstraints !== undefined && readBasicConstraints(basicConstraints.value).cA;
  } catch {
    return false;
  }
}

/** ISO/IEC 18013-5 Tables B.3 (document signer) and B.7 (reader authentication), the parts that matter. */
function profileProblem(certificate: X509Certificate, role: 'document-signer' | 'reader'): string | undefined {
  try {
    if (certificate.version !== 3) return 'not an X.509 v3 certificate';
    const unknownCritical = certificate.extensions.find((ext) => ext.critical && !HANDLED_CRITICAL.has(ext.oid));
    if (unknownCritical) return `unsupported critical extension ${unknownCritical.oid}`;
    const basicConstraints = findExtension(certificate, '2.5.29.19');
    if (basicConstraints && readBasicConstraints(basicConstraints.value).cA) return 'a CA certificate cannot sign';
    const keyUsage = findExtension(certificate, '2.5.29.15');
    if (!keyUsage?.critical || !readKeyUsage(keyUsage.value).has(KEY_USAGE_BIT.digitalSignature)) {
      return 'keyUsage must be critical with digitalSignature';
    }
    const purpose = role === 'document-signer' ? MDOC_OID.mdlDs : MDOC_OID.mdlReaderAuth;
    const eku = findExtension(certificate, '2.5.29.37');
    if (!eku || !readExtendedKeyUsage(eku.value).includes(purpose)) return `extKeyUsage must include ${purpose}`;
    const authorization = findExtension(certificate, MDOC_OID.readerAuthorization);
    if (authorization) readReaderAuthorization(authorization.value);
    return undefined;
  } catch (error) {
    return `malformed extension: ${(error as Error).message}`;
  }
}
