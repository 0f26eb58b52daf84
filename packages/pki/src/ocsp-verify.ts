import { sha1 } from '@noble/hashes/legacy.js';

import { bufferSource, equalBytes } from './bytes.js';
import { fail, pass, skip, summarize, unknown, type CheckResult, type VerificationSummary } from './check-result.js';
import type { RevocationStatus } from './crl-status.js';
import type { RandomBytes } from './certificate-authority.js';
import {
  certIdFor,
  encodeOcspRequest,
  OCSP_RESPONSE_STATUS,
  parseOcspResponse,
  sameCertId,
  subjectPublicKeyBits,
  type BasicOcspResponse,
  type CertIdHash,
  type SingleResponse,
} from './ocsp.js';
import { OID } from './oids.js';
import { verifySignature, type SignatureBackend } from './verify-signature.js';
import {
  findExtension,
  parseCertificate,
  readExtendedKeyUsage,
  readOcspUrls,
  type X509Certificate,
} from './x509-certificate.js';
import { CRL_REASON } from './x509-crl.js';
import { namesMatch } from './x509-name.js';

/** Inputs of {@link verifyOcspResponse}. */
export interface OcspVerificationOptions {
  readonly response: Uint8Array;
  readonly certificate: X509Certificate;
  readonly issuer: X509Certificate;
  readonly time: Date;
  /** The nonce we sent; the response must echo it (replay protection). */
  readonly nonce?: Uint8Array;
  /** The CertID hash we asked with. Default SHA-1. */
  readonly hashAlgorithm?: CertIdHash;
  /** Without nextUpdate, a response older than this is stale. Default one hour. */
  readonly maxAgeSeconds?: number;
  /** Tolerated clock difference with the responder. Default five minutes. */
  readonly clockSkewSeconds?: number;
  readonly backend?: SignatureBackend;
}

/** The named checks of one OCSP response and what it says about the certificate. */
export interface OcspVerification extends VerificationSummary {
  /** `unknown` whenever the response cannot be relied on (bad signature, stale, replayed …). */
  readonly revocation: RevocationStatus;
}

/**
 * Verifies an OCSP response for one certificate (RFC 6960 §3.2, §4.2.2.2): status, responder
 * authorization (the CA, or a delegated responder it issued with id-kp-OCSPSigning), signature,
 * CertID, nonce, freshness; then reads the certificate's status. Anything doubtful yields `unknown`,
 * never `good`.
 */
export async function verifyOcspResponse(options: OcspVerificationOptions): Promise<OcspVerification> {
  const checks: CheckResult[] = [];
  const done = (revocation: RevocationStatus): OcspVerification => ({ ...summarize(checks), revocation });
  const basic = readBasicResponse(options.response, checks);
  if (typeof basic === 'string') return done({ status: 'unknown', reason: basic });
  const signer = await authorizedSigner(basic, options, checks);
  if (!signer) return done({ status: 'unknown', reason: 'the OCSP responder is not authorized' });
  const signature = await verifySignature({
    data: basic.tbsResponseData,
    signature: basic.signature,
    algorithm: basic.signatureAlgorithm,
    publicKeyInfo: signer.subjectPublicKeyInfo,
    ...(options.backend ? { backend: options.backend } : {}),
  });
  checks.push(signature === 'valid' ? pass('ocsp.signature') : fail('ocsp.signature', signature));
  const wanted = certIdFor(options.certificate, options.issuer, options.hashAlgorithm ?? 'SHA-1');
  const single = basic.responses.find((response) => sameCertId(response.certId, wanted));
  checks.push(single ? pass('ocsp.cert-id') : fail('ocsp.cert-id', 'no response for this certificate'));
  if (options.nonce) {
    checks.push(
      basic.nonce && equalBytes(basic.nonce, options.nonce)
        ? pass('ocsp.nonce')
        : fail('ocsp.nonce', 'the nonce was not echoed: possible replay'),
    );
  } else {
    checks.push(skip('ocsp.nonce', 'no nonce was sent'));
  }
  if (!single || checks.some((check) => check.status === 'fail')) {
    return done({ status: 'unknown', reason: 'the OCSP response failed verification' });
  }
  const fresh = isFresh(single, options);
  checks.push(fresh ? pass('ocsp.freshness') : fail('ocsp.freshness', 'the response is stale or not yet valid'));
  if (!fresh) return done({ status: 'unknown', reason: 'stale OCSP response' });
  return done(certStatusOf(single, checks));
}

/** RFC 6960 §4.2.1: only a `successful` response carries a BasicOCSPResponse; else why it does not. */
function readBasicResponse(response: Uint8Array, checks: CheckResult[]): BasicOcspResponse | string {
  try {
    const parsed = parseOcspResponse(response);
    if (parsed.responseStatus !== OCSP_RESPONSE_STATUS.successful || !parsed.basic) {
      checks.push(fail('ocsp.response-status', `responseStatus ${parsed.responseStatus}`));
      return 'the responder did not answer successfully';
    }
    checks.push(pass('ocsp.response-status'));
    return parsed.basic;
  } catch {
    checks.push(fail('ocsp.response-status', 'the response cannot be read'));
    return 'unreadable OCSP response';
  }
}

/** RFC 5019 §4 / RFC 6960 §4.2.2.1: thisUpdate not in the future, nextUpdate (or maxAge) not past. */
function isFresh(single: SingleResponse, options: OcspVerificationOptions): boolean {
  const now = options.time.getTime();
  const skew = (options.clockSkewSeconds ?? 300) * 1000;
  const maxAge = (options.maxAgeSeconds ?? 3600) * 1000;
  return (
    single.thisUpdate.getTime() <= now + skew &&
    (single.nextUpdate ? single.nextUpdate.getTime() >= now - skew : single.thisUpdate.getTime() >= now - maxAge)
  );
}

/** RFC 6960 §4.2.1 certStatus, with certificateHold read as a suspension. */
function certStatusOf(single: SingleResponse, checks: CheckResult[]): RevocationStatus {
  switch (single.certStatus.status) {
    case 'good':
      checks.push(pass('ocsp.cert-status'));
      return { status: 'good' };
    case 'unknown':
      checks.push(unknown('ocsp.cert-status', 'the responder does not know this certificate'));
      return { status: 'unknown', reason: 'the responder answered unknown' };
    case 'revoked': {
      const { revocationTime, reason } = single.certStatus;
      checks.push(fail('ocsp.cert-status', reason === CRL_REASON.certificateHold ? 'suspended' : 'revoked'));
      return reason === CRL_REASON.certificateHold
        ? { status: 'on-hold', revocationDate: revocationTime }
        : { status: 'revoked', reason, revocationDate: revocationTime };
    }
  }
}

async function authorizedSigner(
  basic: BasicOcspResponse,
  options: OcspVerificationOptions,
  checks: CheckResult[],
): Promise<X509Certificate | undefined> {
  const identifies = (certificate: X509Certificate) =>
    'byKey' in basic.responderId
      ? equalBytes(sha1(subjectPublicKeyBits(certificate)), basic.responderId.byKey)
      : namesMatch(certificate.subject, basic.responderId.byName);
  if (identifies(options.issuer)) {
    checks.push(pass('ocsp.responder-authorized'));
    return options.issuer;
  }
  for (const der of basic.certs) {
    let candidate: X509Certificate;
    try {
      candidate = parseCertificate(der);
    } catch {
      continue;
    }
    if (!identifies(candidate)) continue;
    // RFC 6960 §4.2.2.2: a delegated responder is issued directly by the CA and carries id-kp-OCSPSigning.
    const usage = findExtension(candidate, OID.extKeyUsage);
    const issuedByCa =
      namesMatch(candidate.issuer, options.issuer.subject) &&
      (await verifySignature({
        data: candidate.tbsCertificate,
        signature: candidate.signatureValue,
        algorithm: candidate.signatureAlgorithm,
        publicKeyInfo: options.issuer.subjectPublicKeyInfo,
        ...(options.backend ? { backend: options.backend } : {}),
      })) === 'valid';
    const time = options.time.getTime();
    if (
      issuedByCa &&
      usage &&
      readExtendedKeyUsage(usage.value).includes(OID.idKpOcspSigning) &&
      candidate.notBefore.getTime() <= time &&
      time <= candidate.notAfter.getTime()
    ) {
      checks.push(pass('ocsp.responder-authorized'));
      return candidate;
    }
  }
  checks.push(fail('ocsp.responder-authorized', 'the signer is neither the CA nor a responder it delegated'));
  return undefined;
}

/** Options of {@link ocspRevocationChecker}. */
export interface OcspCheckerOptions {
  readonly fetch: typeof fetch;
  readonly time: () => Date;
  readonly randomBytes?: RandomBytes;
  /** Overrides the AIA URL (e.g. a local mirror of the responder). */
  readonly url?: string;
  readonly backend?: SignatureBackend;
}

/**
 * A revocation checker for {@link validatePath} that asks the certificate's OCSP responder (POST,
 * with a nonce). An unreachable responder or a doubtful answer is `unknown`.
 */
export function ocspRevocationChecker(
  options: OcspCheckerOptions,
): (certificate: X509Certificate, issuer: X509Certificate) => Promise<RevocationStatus> {
  return async (certificate, issuer) => {
    const access = findExtension(certificate, OID.authorityInfoAccess);
    const url = options.url ?? (access ? readOcspUrls(access.value)[0] : undefined);
    if (!url) return { status: 'unknown', reason: 'the certificate names no OCSP responder' };
    const nonce = (options.randomBytes ?? ((n: number) => crypto.getRandomValues(new Uint8Array(n))))(32);
    let body: Uint8Array;
    try {
      const response = await options.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/ocsp-request', accept: 'application/ocsp-response' },
        body: bufferSource(encodeOcspRequest([certIdFor(certificate, issuer)], nonce)),
      });
      if (!response.ok) return { status: 'unknown', reason: `the OCSP responder answered HTTP ${response.status}` };
      body = new Uint8Array(await response.arrayBuffer());
    } catch {
      return { status: 'unknown', reason: 'the OCSP responder is unreachable' };
    }
    const result = await verifyOcspResponse({
      response: body,
      certificate,
      issuer,
      time: options.time(),
      nonce,
      ...(options.backend ? { backend: options.backend } : {}),
    });
    return result.revocation;
  };
}
