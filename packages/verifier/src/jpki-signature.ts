import {
  fail,
  parseCertificate,
  pass,
  readJpkiIdentity,
  summarize,
  verifyCmsSignature,
  verifyPkcs1DigestInfo,
  verifyPkcs1Signature,
  type CheckResult,
  type JpkiIdentity,
  type VerificationSummary,
  type X509Certificate,
} from '@openmyna/pki';
import { sha256 } from '@noble/hashes/sha2.js';

import { checkJpkiChain } from './chain.js';
import { verificationRecord, type VerificationRecord } from './record.js';
import { checkRequestBinding, type SignatureRequestBinding } from './request-binding.js';
import type { JpkiTrust } from './trust.js';

/** 犯罪収益移転防止法施行規則 第6条第1項第1号ワ: 本人確認 by a JPKI signing certificate and a signature. */
export const JPKI_SIGNATURE_LEGAL_BASIS = '犯罪収益移転防止法施行規則第6条第1項第1号ワ（署名用電子証明書）';

/**
 * A JPKI signature: CMS SignedData (encapsulated or detached), a raw PKCS#1 signature over a document
 * with its certificate, or a raw PKCS#1 signature over exactly the bytes a relying party gave (a
 * `jpki_sign_digest`: a SHA-256 hash, or its DigestInfo).
 */
export type JpkiSignature =
  | { readonly kind: 'cms'; readonly signedData: Uint8Array; readonly detachedContent?: Uint8Array }
  | {
      readonly kind: 'pkcs1';
      /** RSASSA-PKCS1-v1_5 with SHA-256 over `content` (the card's `80 2A` over its DigestInfo). */
      readonly signature: Uint8Array;
      readonly certificate: Uint8Array;
      readonly content: Uint8Array;
    }
  | {
      readonly kind: 'pkcs1-digest';
      /** RSASSA-PKCS1-v1_5 over exactly `signed`, no DigestInfo added (the card's `80 2A 00` over those bytes). */
      readonly signature: Uint8Array;
      readonly certificate: Uint8Array;
      /** The 32-byte SHA-256 hash, or its 51-byte DER DigestInfo, as the relying party gave it. */
      readonly signed: Uint8Array;
    };

export interface JpkiSignatureVerification extends VerificationSummary {
  /** The signer, when every check passed (or only revocation is unknown): nothing unverified leaks out. */
  readonly signer?: { readonly certificate: X509Certificate; readonly identity: JpkiIdentity };
  /** What was signed, as verified. */
  readonly content?: Uint8Array;
  /**
   * The signature value itself (CMS: the SignerInfo's; PKCS#1: the signature), when it verified: the
   * identity of this signature for "accepted once", whatever unsigned bytes surround it.
   */
  readonly signatureValue?: Uint8Array;
  readonly record: VerificationRecord;
}

/**
 * Verifies a JPKI signature over a document or a relying party's digest: the signature (CMS checks,
 * or `pkcs1.certificate` and `pkcs1.signature`), the signing certificate's path to the signing
 * anchors with key usage (digitalSignature + nonRepudiation), policy and revocation at `time` (default now), then
 * `jpki.identity` — the holder's 4 info from the certificate. With `binding` (an answer to an OpenID4VP
 * request), `jpki.request-binding` too: the CMS signature's binding attribute names that request (client
 * id, nonce) and the 入力補助 records sent with it. Returns the ordered checks, the summary, the signer and
 * a verification record. A `pkcs1-digest` signature names no request: an OpenID4VP answer binds it by
 * the `jpki_auth` login sent beside it.
 *
 * @example
 * ```ts
 * const result = await verifyJpkiSignature(trust, { kind: 'pkcs1-digest', signature, certificate, signed: digest });
 * if (result.status === 'valid') console.log(result.signer?.identity.basicFourInfo.name);
 * ```
 */
export async function verifyJpkiSignature(
  trust: JpkiTrust,
  signature: JpkiSignature,
  options: { readonly time?: Date; readonly binding?: SignatureRequestBinding } = {},
): Promise<JpkiSignatureVerification> {
  const time = options.time ?? trust.clock();
  const signed =
    signature.kind === 'cms'
      ? await checkCmsSignature(trust, signature, options.binding)
      : await checkPkcs1Signature(trust, signature, options.binding);
  const checks = [...signed.checks];
  const { certificate, content, signatureValue, contentDigest } = signed;
  let revocation: Awaited<ReturnType<typeof checkJpkiChain>>['revocation'] | undefined;
  let identity: JpkiIdentity | undefined;
  if (certificate && content) {
    const chain = await checkJpkiChain(trust, 'signing', certificate, time, signed.intermediates ?? []);
    checks.push(...chain.checks);
    revocation = chain.revocation;
    try {
      identity = readJpkiIdentity(certificate);
      checks.push(pass('jpki.identity'));
    } catch (error) {
      checks.push(fail('jpki.identity', (error as Error).message));
    }
  }
  const summary = summarize(checks);
  return {
    ...summary,
    ...(summary.status !== 'invalid' && certificate && identity && content
      ? { signer: { certificate, identity }, content, ...(signatureValue ? { signatureValue } : {}) }
      : {}),
    record: verificationRecord(summary, {
      method: 'jpki-signature',
      legalBasis: JPKI_SIGNATURE_LEGAL_BASIS,
      at: trust.clock(),
      ...(certificate ? { certificate } : {}),
      ...(revocation ? { revocation } : {}),
      ...(identity ? { subject: identity.basicFourInfo } : {}),
      ...(content ? { documentDigest: contentDigest ?? (trust.backend?.sha256 ?? sha256)(content) } : {}),
    }),
  };
}

/** What the signature step established: its checks, and the signer and content once they verified. */
interface SignatureStep {
  readonly checks: readonly CheckResult[];
  readonly certificate?: X509Certificate | undefined;
  readonly intermediates?: readonly X509Certificate[] | undefined;
  readonly content?: Uint8Array | undefined;
  readonly signatureValue?: Uint8Array | undefined;
  /** The content's SHA-256, when the step hashed it already. */
  readonly contentDigest?: Uint8Array | undefined;
}

/** The CMS checks, then `jpki.request-binding` when the signature answers a request. */
async function checkCmsSignature(
  trust: JpkiTrust,
  signature: Extract<JpkiSignature, { kind: 'cms' }>,
  binding: SignatureRequestBinding | undefined,
): Promise<SignatureStep> {
  const cms = await verifyCmsSignature({
    signedData: signature.signedData,
    ...(signature.detachedContent ? { detachedContent: signature.detachedContent } : {}),
    ...(trust.backend ? { backend: trust.backend } : {}),
  });
  const checks = [...cms.checks];
  if (cms.status === 'valid' && binding) checks.push(checkRequestBinding(cms.signedAttributes, binding));
  if (cms.status !== 'valid' || checks.some((check) => check.status === 'fail')) return { checks };
  return {
    checks,
    certificate: cms.signer,
    intermediates: cms.certificates.filter((other) => other !== cms.signer),
    content: cms.content,
    signatureValue: cms.signatureValue,
    // Hashed once already, for cms.message-digest.
    contentDigest: cms.contentDigest,
  };
}

/** `pkcs1.certificate` and `pkcs1.signature`; a raw signature cannot answer a request. */
async function checkPkcs1Signature(
  trust: JpkiTrust,
  signature: Extract<JpkiSignature, { kind: 'pkcs1' | 'pkcs1-digest' }>,
  binding: SignatureRequestBinding | undefined,
): Promise<SignatureStep> {
  const checks: CheckResult[] = [];
  let certificate: X509Certificate | undefined;
  try {
    certificate = parseCertificate(signature.certificate);
    checks.push(pass('pkcs1.certificate'));
  } catch {
    checks.push(fail('pkcs1.certificate', 'the signing certificate is not a certificate'));
  }
  // A raw signature has no attributes to carry a binding: it cannot answer a request.
  if (binding) checks.push(fail('jpki.request-binding', 'a raw PKCS#1 signature carries no request binding'));
  if (!certificate || binding) return { checks, ...(certificate ? { certificate } : {}) };
  const verified =
    signature.kind === 'pkcs1'
      ? await verifyPkcs1Signature({
          subjectPublicKeyInfo: certificate.subjectPublicKeyInfo,
          data: signature.content,
          signature: signature.signature,
          hash: 'SHA-256',
          ...(trust.backend ? { backend: trust.backend } : {}),
        }).catch(() => false)
      : verifiesOverBytes(certificate, signature.signature, signature.signed);
  checks.push(verified ? pass('pkcs1.signature') : fail('pkcs1.signature', 'the signature does not verify'));
  if (!verified) return { checks };
  if (signature.kind === 'pkcs1')
    return { checks, certificate, content: signature.content, signatureValue: signature.signature };
  return {
    checks,
    certificate,
    content: signature.signed,
    signatureValue: signature.signature,
    // The record names the relying party's document by the hash it sent, not a hash of that hash.
    contentDigest: signature.signed.slice(-32),
  };
}

/**
 * RFC 8017 §8.2.2 without the hashing of step 2: the recovered EMSA-PKCS1-v1_5 block must be
 * `00 01 FF…FF 00` followed by exactly `signed` (compared in constant time). Web Crypto hashes what
 * it verifies, so the pki package's RSA public operation does it; never throws.
 */
function verifiesOverBytes(certificate: X509Certificate, signature: Uint8Array, signed: Uint8Array): boolean {
  try {
    return verifyPkcs1DigestInfo({
      subjectPublicKeyInfo: certificate.subjectPublicKeyInfo,
      digestInfo: signed,
      signature,
    });
  } catch {
    return false;
  }
}
