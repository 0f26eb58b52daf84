import { equalBytes } from './bytes.js';
import { OID } from './oids.js';
import { verifySignature, type SignatureBackend } from './verify-signature.js';
import {
  findExtension,
  KEY_USAGE_BIT,
  readBasicConstraints,
  readCrlDistributionPoints,
  readKeyUsage,
  type DistributionPointValue,
  type GeneralNameValue,
  type X509Certificate,
} from './x509-certificate.js';
import { CRL_REASON, hasUnsupportedCriticalExtension, type X509Crl } from './x509-crl.js';
import { appendRdn, namesMatch } from './x509-name.js';

/** The revocation status of one certificate. */
export type RevocationStatus =
  | { readonly status: 'good' }
  | { readonly status: 'revoked'; readonly reason: number | undefined; readonly revocationDate: Date }
  | { readonly status: 'on-hold'; readonly revocationDate: Date }
  | { readonly status: 'unknown'; readonly reason: string };

/** ReasonFlags bits 1–8 (RFC 5280 §4.2.1.13): all reasons a set of CRLs must cover. */
const ALL_REASONS = [1, 2, 3, 4, 5, 6, 7, 8] as const;

/** The certificate and the key that issued it, with other certificates that may have signed CRLs. */
export interface CrlContext {
  readonly certificate: X509Certificate;
  /** The issuer's certificate (or trust anchor). */
  readonly issuer: X509Certificate;
  /** Other certificates at hand (path and anchors), in case a separate key signed the CRL. */
  readonly candidates: readonly X509Certificate[];
  readonly crls: readonly X509Crl[];
  readonly time: Date;
  /**
   * Validates a certificate other than the issuer's that signed a CRL (RFC 5280 §6.3.3 (f): its own
   * path must validate). Without it, only CRLs signed by the issuing key are used.
   */
  readonly validateCrlSigner?: (signer: X509Certificate) => Promise<boolean>;
  readonly backend?: SignatureBackend;
}

/**
 * CRL processing of RFC 5280 §6.3.3 for complete CRLs issued by the certificate issuer: scope by
 * issuingDistributionPoint, reasons coverage, CRL signature, validity at `time`. Delta and indirect
 * CRLs are not processed: where they matter the answer is `unknown`, never `good`.
 */
export async function crlStatus(context: CrlContext): Promise<RevocationStatus> {
  const { certificate } = context;
  if (
    findExtension(certificate, '2.5.29.46') ||
    context.crls.some((crl) => crl.isDelta && namesMatch(crl.issuer, certificate.issuer))
  ) {
    return { status: 'unknown', reason: 'delta CRLs are not supported' };
  }
  const dpExtension = findExtension(certificate, OID.cRLDistributionPoints);
  const points: (DistributionPointValue | undefined)[] = dpExtension
    ? readCrlDistributionPoints(dpExtension.value)
    : [undefined];
  const isCa = isCaCertificate(certificate);
  const covered = new Set<number>();
  const serial = hexOf(certificate.serialNumber);
  for (const point of points) {
    if (point?.crlIssuer) continue; // indirect: not processed
    for (const crl of context.crls) {
      if (covered.size === ALL_REASONS.length) break;
      if (crl.isDelta || !namesMatch(crl.issuer, certificate.issuer)) continue;
      const idp = crl.issuingDistributionPoint;
      if (idp?.indirectCRL) continue;
      if (!inScope(crl, certificate, point, isCa)) continue;
      const interim = ALL_REASONS.filter(
        (reason) => (idp?.onlySomeReasons?.has(reason) ?? true) && (point?.reasons?.has(reason) ?? true),
      );
      if (interim.every((reason) => covered.has(reason))) continue;
      if (!(await crlIsUsable(crl, context))) continue;
      const entry = crl.revoked.get(serial);
      if (entry && entry.reason !== CRL_REASON.removeFromCRL) {
        if (entry.reason === CRL_REASON.certificateHold)
          return { status: 'on-hold', revocationDate: entry.revocationDate };
        return { status: 'revoked', reason: entry.reason, revocationDate: entry.revocationDate };
      }
      interim.forEach((reason) => covered.add(reason));
    }
  }
  return covered.size === ALL_REASONS.length
    ? { status: 'good' }
    : { status: 'unknown', reason: 'no valid CRL covers this certificate for every reason' };
}

function inScope(
  crl: X509Crl,
  certificate: X509Certificate,
  point: DistributionPointValue | undefined,
  isCa: boolean,
): boolean {
  const idp = crl.issuingDistributionPoint;
  if (!idp) return true;
  if (idp.onlyContainsUserCerts && isCa) return false;
  if (idp.onlyContainsCACerts && !isCa) return false;
  if (idp.onlyContainsAttributeCerts) return false;
  const idpNames = idp.relativeName ? [directoryName(appendRdn(crl.issuer, idp.relativeName))] : idp.fullNames;
  if (idpNames.length === 0) return true;
  if (point) {
    const pointNames = point.relativeName
      ? [directoryName(appendRdn(certificate.issuer, point.relativeName))]
      : point.fullNames;
    return pointNames.some((name) => idpNames.some((other) => generalNamesMatch(name, other)));
  }
  // RFC 5280 §6.3.3 (b)(2)(i): with no distribution point in the certificate, the IDP must name the CRL issuer.
  return idpNames.some((name) => name.type === 'directoryName' && namesMatch(name.value, crl.issuer));
}

async function crlIsUsable(crl: X509Crl, context: CrlContext): Promise<boolean> {
  if (hasUnsupportedCriticalExtension(crl)) return false;
  if (!equalBytes(crl.signature.raw, crl.signatureAlgorithm.raw)) return false;
  if (crl.thisUpdate.getTime() > context.time.getTime()) return false;
  if (crl.nextUpdate && crl.nextUpdate.getTime() < context.time.getTime()) return false;
  for (const signer of [context.issuer, ...context.candidates]) {
    if (!namesMatch(signer.subject, crl.issuer)) continue;
    if (signer !== context.issuer && !(await separateCrlSignerIsValid(signer, context))) continue;
    const usage = findExtension(signer, OID.keyUsage);
    if (usage && !readKeyUsage(usage.value).has(KEY_USAGE_BIT.cRLSign)) continue;
    const result = await verifySignature({
      data: crl.tbsCertList,
      signature: crl.signatureValue,
      algorithm: crl.signatureAlgorithm,
      publicKeyInfo: signer.subjectPublicKeyInfo,
      ...(context.backend ? { backend: context.backend } : {}),
    });
    if (result === 'valid') return true;
  }
  return false;
}

/** A CRL signer other than the issuing key needs a valid path of its own. */
async function separateCrlSignerIsValid(signer: X509Certificate, context: CrlContext): Promise<boolean> {
  return context.validateCrlSigner ? context.validateCrlSigner(signer) : false;
}

function generalNamesMatch(a: GeneralNameValue, b: GeneralNameValue): boolean {
  if (a.type === 'uri' && b.type === 'uri') return a.value === b.value;
  if (a.type === 'directoryName' && b.type === 'directoryName') return namesMatch(a.value, b.value);
  return a.type === 'other' && b.type === 'other' && equalBytes(a.raw, b.raw);
}

function directoryName(value: Uint8Array): GeneralNameValue {
  return { type: 'directoryName', value };
}

/** `true` when basicConstraints says cA (RFC 5280 §4.2.1.9). */
export function isCaCertificate(certificate: X509Certificate): boolean {
  const constraints = findExtension(certificate, OID.basicConstraints);
  return constraints ? readBasicConstraints(constraints.value).cA : false;
}

function hexOf(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
