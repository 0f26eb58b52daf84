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
import { CRL_REASON, hasUnsupportedCriticalExtension, type RevokedEntry, type X509Crl } from './x509-crl.js';
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
 * CRL processing of RFC 5280 §6.3.3: complete CRLs from the certificate issuer or, where the
 * certificate's distribution point names a cRLIssuer, indirect CRLs from that issuer; scope by
 * issuingDistributionPoint; reasons coverage; CRL signature and signer path; validity at `time`; and
 * a delta CRL on top of each complete CRL when one for the same scope is at hand. When no set of
 * usable CRLs covers every reason the answer is `unknown`, never `good`.
 */
export async function crlStatus(context: CrlContext): Promise<RevocationStatus> {
  const { certificate } = context;
  const dpExtension = findExtension(certificate, OID.cRLDistributionPoints);
  const points: (DistributionPointValue | undefined)[] = dpExtension
    ? readCrlDistributionPoints(dpExtension.value)
    : [undefined];
  const isCa = isCaCertificate(certificate);
  const covered = new Set<number>();
  const serial = hexOf(certificate.serialNumber);
  // Newest first: of the usable CRLs for one scope, the latest answers (an older CRL that is still
  // current cannot hide a revocation a newer one lists).
  const complete = context.crls
    .filter((crl) => !crl.isDelta)
    .sort(
      (a, b) =>
        b.thisUpdate.getTime() - a.thisUpdate.getTime() ||
        Number((b.crlNumber ?? -1n) > (a.crlNumber ?? -1n)) - Number((b.crlNumber ?? -1n) < (a.crlNumber ?? -1n)),
    );
  for (const point of points) {
    for (const crl of complete) {
      if (covered.size === ALL_REASONS.length) break;
      if (!issuedFor(crl, certificate, point)) continue;
      if (!inScope(crl, certificate, point, isCa)) continue;
      const idp = crl.issuingDistributionPoint;
      const interim = ALL_REASONS.filter(
        (reason) => (idp?.onlySomeReasons?.has(reason) ?? true) && (point?.reasons?.has(reason) ?? true),
      );
      if (interim.every((reason) => covered.has(reason))) continue;
      if (!(await crlIsUsable(crl, context))) continue;
      // §6.3.3 (i)–(k): the delta is searched first; removeFromCRL there undoes a hold in the base.
      const delta = await deltaFor(crl, context);
      const entry = (delta && findEntry(delta, certificate, serial)) ?? findEntry(crl, certificate, serial);
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

/**
 * §6.3.3 (b)(1): a distribution point with a cRLIssuer is served by an indirect CRL from that
 * issuer; otherwise the CRL's issuer is the certificate's.
 */
function issuedFor(crl: X509Crl, certificate: X509Certificate, point: DistributionPointValue | undefined): boolean {
  if (point?.crlIssuer) {
    return (
      crl.issuingDistributionPoint?.indirectCRL === true &&
      point.crlIssuer.some((name) => name.type === 'directoryName' && namesMatch(name.value, crl.issuer))
    );
  }
  return namesMatch(crl.issuer, certificate.issuer);
}

/** The certificate's entry on a CRL (RFC 5280 §5.3.3: issuer and serial number both match). */
function findEntry(crl: X509Crl, certificate: X509Certificate, serial: string): RevokedEntry | undefined {
  if (namesMatch(crl.issuer, certificate.issuer)) {
    const entry = crl.revoked.get(serial);
    if (entry) return entry;
  }
  return crl.indirectEntries.find((item) => item.serial === serial && namesMatch(item.issuer, certificate.issuer))
    ?.entry;
}

/**
 * A usable delta CRL for `base` (RFC 5280 §5.2.4, §6.3.3 (c)–(h)): same issuer and scope, a
 * BaseCRLNumber the base has reached, a newer CRL number, current, and validly signed.
 */
async function deltaFor(base: X509Crl, context: CrlContext): Promise<X509Crl | undefined> {
  if (base.crlNumber === undefined) return undefined;
  const scope = findExtension(base, OID.issuingDistributionPoint)?.value;
  for (const delta of context.crls) {
    if (!delta.isDelta || !namesMatch(delta.issuer, base.issuer)) continue;
    const deltaScope = findExtension(delta, OID.issuingDistributionPoint)?.value;
    if ((scope === undefined) !== (deltaScope === undefined) || (scope && !equalBytes(scope, deltaScope!))) continue;
    if (delta.baseCrlNumber === undefined || delta.crlNumber === undefined) continue;
    if (delta.baseCrlNumber > base.crlNumber || delta.crlNumber <= base.crlNumber) continue;
    if (await crlIsUsable(delta, context)) return delta;
  }
  return undefined;
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
    // §6.3.3 (b)(2)(i): a relative name is relative to the CRL issuer the point names; with no
    // distribution point name at all, the point's cRLIssuer names must match instead.
    const pointIssuer = point.crlIssuer?.find((name) => name.type === 'directoryName');
    const relativeTo = pointIssuer?.type === 'directoryName' ? pointIssuer.value : certificate.issuer;
    const pointNames = point.relativeName
      ? [directoryName(appendRdn(relativeTo, point.relativeName))]
      : point.fullNames.length > 0
        ? point.fullNames
        : (point.crlIssuer ?? []);
    return pointNames.some((name) => idpNames.some((other) => generalNamesMatch(name, other)));
  }
  // RFC 5280 §6.3.3 (b)(2)(i): with no distribution point in the certificate, the IDP must name the CRL issuer.
  return idpNames.some((name) => name.type === 'directoryName' && namesMatch(name.value, crl.issuer));
}

async function crlIsUsable(crl: X509Crl, context: CrlContext): Promise<boolean> {
  if (hasUnsupportedCriticalExtension(crl)) return false;
  if (!equalBytes(crl.signature.raw, crl.signatureAlgorithm.raw)) return false;
  if (crl.thisUpdate.getTime() > context.time.getTime()) return false;
  // RFC 5280 §5.1.2.5: conforming CRLs carry nextUpdate; one without it would answer forever.
  if (!crl.nextUpdate || crl.nextUpdate.getTime() < context.time.getTime()) return false;
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
