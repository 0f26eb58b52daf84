import { bytesToBinaryString } from '@openmyna/core';

import { equalBytes } from './bytes.js';
import { fail, pass, skip, summarize, unknown, type CheckResult, type VerificationSummary } from './check-result.js';
import { crlStatus, type RevocationStatus } from './crl-status.js';
import { PolicyProcessor, type PolicyInputs } from './certificate-policies.js';
import { NameConstraintChecker } from './name-constraints.js';
import { PkiError } from './errors.js';
import { OID } from './oids.js';
import { verifySignature, type SignatureBackend } from './verify-signature.js';
import {
  findExtension,
  KEY_USAGE_BIT,
  parseCertificate,
  readAuthorityKeyIdentifier,
  readBasicConstraints,
  readExtendedKeyUsage,
  readKeyUsage,
  readSubjectKeyIdentifier,
  type X509Certificate,
} from './x509-certificate.js';
import type { X509Crl } from './x509-crl.js';
import { namesMatch } from './x509-name.js';

/** Extensions this validator understands; any other critical extension fails the path (RFC 5280 §4.2). */
const RECOGNIZED_EXTENSIONS = new Set<string>([
  OID.authorityKeyIdentifier,
  OID.subjectKeyIdentifier,
  OID.keyUsage,
  OID.certificatePolicies,
  OID.subjectAltName,
  OID.issuerAltName,
  OID.basicConstraints,
  OID.extKeyUsage,
  OID.cRLDistributionPoints,
  OID.authorityInfoAccess,
  OID.idPkixOcspNocheck,
  OID.policyConstraints,
  OID.policyMappings,
  OID.inhibitAnyPolicy,
  OID.nameConstraints,
]);

const MAX_PATH_LENGTH = 8;

/** How many intermediate certificates a caller may offer; real paths need a handful. */
const MAX_INTERMEDIATES = 64;

/** How many partial paths {@link buildPath} may try before it gives up (no path is then found). */
const MAX_BUILD_STEPS = 256;

/** A trust anchor: a certificate whose name and key we trust as given (RFC 5280 §6.1.1 (d)). */
export interface TrustAnchor {
  readonly certificate: X509Certificate;
}

/** Makes a trust anchor from a DER certificate. */
export function trustAnchor(der: Uint8Array): TrustAnchor {
  return { certificate: parseCertificate(der) };
}

/** Answers revocation questions for one certificate in a path; OCSP clients plug in here. */
export type RevocationChecker = (certificate: X509Certificate, issuer: X509Certificate) => Promise<RevocationStatus>;

/** Inputs of {@link validatePath}; the policy inputs are RFC 5280 §6.1.1 (c), (e), (f), (g). */
export interface PathValidationOptions extends PolicyInputs {
  /** The end-entity certificate. */
  readonly certificate: X509Certificate;
  /** Certificates that may complete the path, in any order. */
  readonly intermediates?: readonly X509Certificate[];
  readonly trustAnchors: readonly TrustAnchor[];
  /** The time of validation (RFC 5280 §6.1.1 (b)). */
  readonly time: Date;
  /** CRLs to check revocation with. */
  readonly crls?: readonly X509Crl[];
  /** A revocation checker (OCSP, or OCSP falling back to CRL); when given it is asked before the CRLs. */
  readonly revocation?: RevocationChecker;
  /** `false` skips revocation checking altogether (the checks say so). Default `true`. */
  readonly checkRevocation?: boolean;
  /** Key usage bits the end-entity certificate must have. */
  readonly requiredKeyUsage?: readonly (keyof typeof KEY_USAGE_BIT)[];
  /** An extended key usage the end-entity certificate must have. */
  readonly requiredExtendedKeyUsage?: string;
  /** A policy OID the end-entity certificate must carry. */
  readonly requiredPolicy?: string;
  /** Where signatures are verified (default Web Crypto; `nodeCryptoBackend` in Node services). */
  readonly backend?: SignatureBackend;
  /**
   * The certificate signature algorithms (OIDs) accepted; default every one `verifySignature` knows,
   * SHA-1 included (NIST PKITS is signed with it). A profile such as JPKI's narrows it.
   */
  readonly signatureAlgorithms?: readonly string[];
}

/** How deep CRL-signer paths may nest inside a validation (a CRL signer's own CRL signer, …). */
const MAX_CRL_SIGNER_DEPTH = 2;

/** The result of {@link validatePath}: the summary, the named checks, and the path found. */
export interface PathValidationResult extends VerificationSummary {
  /** End entity first, trust anchor last; empty when no path was built. */
  readonly path: readonly X509Certificate[];
  readonly revocation: readonly RevocationStatus[];
  /**
   * RFC 5280 §6.1.6's user-constrained policy set: the policies (OIDs, possibly anyPolicy) for which
   * the path is valid given the policy inputs; empty when no policy holds along the whole path.
   */
  readonly userConstrainedPolicySet: readonly string[];
}

/**
 * RFC 5280 §6.1 path validation to configured trust anchors at a given time, with revocation
 * (§6.3) from CRLs or a checker, returning every named check in order. Fails closed: a check that
 * cannot be made is `unknown` or `fail`, never `pass`.
 *
 * @example
 * ```ts
 * const result = await validatePath({ certificate: parseCertificate(der), trustAnchors: [trustAnchor(rootDer)], time, crls });
 * if (result.status !== 'valid') console.log(result.decidedBy);
 * ```
 */
export async function validatePath(options: PathValidationOptions): Promise<PathValidationResult> {
  try {
    return await validate(options, []);
  } catch (error) {
    // A part of a certificate that cannot be read (a name, an extension) fails the path as a check.
    if (!(error instanceof PkiError)) throw error;
    const checks = [fail('path.readable', error.message)];
    return { ...summarize(checks), path: [], revocation: [], userConstrainedPolicySet: [] };
  }
}

/**
 * `signers` are the CRL signers whose paths are being validated around this one, innermost last: a
 * CRL signer's own certificate may be covered by a CRL it signed (PKITS 4.14.30), which is then
 * taken on the strength of the path being validated outside.
 */
async function validate(
  options: PathValidationOptions,
  signers: readonly X509Certificate[],
): Promise<PathValidationResult> {
  const checks: CheckResult[] = [];
  const chain = buildCandidatePath(options, checks);
  if (!chain) return { ...summarize(checks), path: [], revocation: [], userConstrainedPolicySet: [] };
  const anchor = chain[chain.length - 1]!;
  const time = options.time.getTime();
  checks.push(checkAnchorValidity(anchor, time));
  checks.push(...(await checkIssuance(chain, options)));
  if (checks.some((check) => check.status === 'fail'))
    return { ...summarize(checks), path: chain, revocation: [], userConstrainedPolicySet: [] };
  const statuses: RevocationStatus[] = [];
  const candidates = [...chain, ...(options.intermediates ?? []), ...options.trustAnchors.map((a) => a.certificate)];
  // §6.3.3 (f): a CRL signer's path must end at the anchor this path ends at.
  const pathAnchor = options.trustAnchors.find((candidate) => candidate.certificate === anchor)!;
  let maxPathLength = chain.length - 1;
  const n = chain.length - 1;
  const policies = new PolicyProcessor(n, options);
  const names = new NameConstraintChecker();
  for (let index = chain.length - 2; index >= 0; index--) {
    const certificate = chain[index]!;
    const issuer = chain[index + 1]!;
    const label = `certificate[${index}]`;
    const isEndEntity = index === 0;
    // RFC 5280 §6.1: certificate i counts from the trust anchor's subject (1) to the end entity (n).
    const i = n - index;
    const selfIssued = namesMatch(certificate.issuer, certificate.subject);
    checks.push(...checkValidityAndExtensions(certificate, label, time));
    if (options.checkRevocation === false) {
      checks.push(skip(`${label}.revocation`, 'revocation checking was turned off'));
    } else {
      const status = await revocationStatus(certificate, issuer, candidates, pathAnchor, options, signers);
      statuses.push(status);
      checks.push(revocationCheck(`${label}.revocation`, status));
    }
    // §6.1.3 (b), (c): self-issued intermediates are not checked against name constraints.
    if (isEndEntity || !selfIssued) checks.push(names.check(certificate, label));
    checks.push(...policies.processCertificate(certificate, i, selfIssued, label));
    if (!isEndEntity) {
      checks.push(...policies.prepareNext(certificate, i, selfIssued, label));
      const constraints = names.add(certificate, label);
      if (constraints) checks.push(constraints);
      const result = checkCaCertificate(certificate, label, maxPathLength);
      checks.push(...result.checks);
      maxPathLength = result.maxPathLength;
    } else {
      checks.push(...checkEndEntity(certificate, options));
    }
  }
  const { check, userConstrainedPolicySet } = policies.wrapUp(chain[0]!);
  checks.push(check);
  if (options.requiredPolicy) {
    // The policy must hold along the whole path (RFC 5280 §6.1.6), not merely appear in the end entity.
    checks.push(
      userConstrainedPolicySet.includes(options.requiredPolicy)
        ? pass('certificate[0].policy')
        : fail('certificate[0].policy', `the path is not valid for policy ${options.requiredPolicy}`),
    );
  }
  return { ...summarize(checks), path: chain, revocation: statuses, userConstrainedPolicySet };
}

/** The anchor's own validity period: RFC 5280 §6.1.1 (d) leaves it optional; we check it on purpose. */
function checkAnchorValidity(anchor: X509Certificate, time: number): CheckResult {
  return anchor.notBefore.getTime() <= time && time <= anchor.notAfter.getTime()
    ? pass('anchor.validity')
    : fail('anchor.validity', 'the trust anchor is not valid at the validation time');
}

/** The candidate path from the certificate to a trust anchor (RFC 5280 §6.1, before validation). */
function buildCandidatePath(options: PathValidationOptions, checks: CheckResult[]): X509Certificate[] | undefined {
  if ((options.intermediates?.length ?? 0) > MAX_INTERMEDIATES) {
    checks.push(fail('path.build', `more than ${MAX_INTERMEDIATES} candidate intermediate certificates`));
    return undefined;
  }
  const chain = buildPath(options.certificate, options.intermediates ?? [], options.trustAnchors);
  if (!chain) {
    checks.push(fail('path.build', 'no chain of issuers leads to a trust anchor'));
    return undefined;
  }
  checks.push(pass('path.build'));
  return chain;
}

/**
 * RFC 5280 §6.1.3 (a)(1) and (a)(4): every signature and issuer name of the path, first: nothing a
 * certificate says (pointers to fetch, policies, name lists) is acted on before each certificate is
 * proven to come from its issuer.
 */
async function checkIssuance(
  chain: readonly X509Certificate[],
  options: PathValidationOptions,
): Promise<CheckResult[]> {
  const checks: CheckResult[] = [];
  for (let index = chain.length - 2; index >= 0; index--) {
    const certificate = chain[index]!;
    const issuer = chain[index + 1]!;
    const label = `certificate[${index}]`;
    checks.push(...(await checkSignature(certificate, issuer, label, options)));
    checks.push(
      namesMatch(certificate.issuer, issuer.subject)
        ? pass(`${label}.name-chaining`)
        : fail(`${label}.name-chaining`, 'issuer name differs'),
    );
  }
  return checks;
}

/** RFC 5280 §6.1.3 (a)(2) validity, and §4.2: a critical extension we do not recognize fails the path. */
function checkValidityAndExtensions(certificate: X509Certificate, label: string, time: number): CheckResult[] {
  const critical = certificate.extensions.find(
    (extension) => extension.critical && !RECOGNIZED_EXTENSIONS.has(extension.oid),
  );
  return [
    certificate.notBefore.getTime() <= time && time <= certificate.notAfter.getTime()
      ? pass(`${label}.validity`)
      : fail(`${label}.validity`, time < certificate.notBefore.getTime() ? 'not yet valid' : 'expired'),
    critical
      ? fail(`${label}.critical-extensions`, `unrecognized critical extension ${critical.oid}`)
      : pass(`${label}.critical-extensions`),
  ];
}

async function checkSignature(
  certificate: X509Certificate,
  issuer: X509Certificate,
  label: string,
  { backend, signatureAlgorithms }: PathValidationOptions,
): Promise<CheckResult[]> {
  // RFC 5280 §4.1.1.2: signatureAlgorithm must equal the signature field of the TBSCertificate.
  if (!equalBytes(certificate.signature.raw, certificate.signatureAlgorithm.raw)) {
    return [fail(`${label}.signature`, 'signatureAlgorithm differs from tbsCertificate.signature')];
  }
  if (signatureAlgorithms && !signatureAlgorithms.includes(certificate.signatureAlgorithm.oid))
    return [fail(`${label}.signature`, `${certificate.signatureAlgorithm.oid} is not an accepted signature algorithm`)];
  const result = await verifySignature({
    data: certificate.tbsCertificate,
    signature: certificate.signatureValue,
    algorithm: certificate.signatureAlgorithm,
    publicKeyInfo: issuer.subjectPublicKeyInfo,
    ...(backend ? { backend } : {}),
  });
  return [result === 'valid' ? pass(`${label}.signature`) : fail(`${label}.signature`, result)];
}

function checkCaCertificate(
  certificate: X509Certificate,
  label: string,
  maxPathLength: number,
): { checks: CheckResult[]; maxPathLength: number } {
  const checks: CheckResult[] = [];
  const constraintsExtension = findExtension(certificate, OID.basicConstraints);
  const constraints = constraintsExtension ? readBasicConstraints(constraintsExtension.value) : undefined;
  // RFC 5280 §6.1.4 (k): an intermediate must assert cA; we also refuse v1/v2 intermediates.
  checks.push(
    certificate.version === 3 && constraints?.cA
      ? pass(`${label}.basic-constraints`)
      : fail(`${label}.basic-constraints`, 'an issuing certificate must be v3 with basicConstraints cA TRUE'),
  );
  const selfIssued = namesMatch(certificate.issuer, certificate.subject);
  let remaining = maxPathLength;
  // RFC 5280 §6.1.4 (l): self-issued certificates do not count towards the path length.
  if (!selfIssued) {
    checks.push(
      remaining > 0 ? pass(`${label}.path-length`) : fail(`${label}.path-length`, 'pathLenConstraint exceeded'),
    );
    remaining--;
  }
  // RFC 5280 §6.1.4 (m): pathLenConstraint only applies when cA is TRUE.
  if (constraints?.cA && constraints.pathLenConstraint !== undefined)
    remaining = Math.min(remaining, constraints.pathLenConstraint);
  const usage = findExtension(certificate, OID.keyUsage);
  // RFC 5280 §6.1.4 (n): if keyUsage is present, keyCertSign must be set.
  checks.push(
    !usage || readKeyUsage(usage.value).has(KEY_USAGE_BIT.keyCertSign)
      ? pass(`${label}.key-usage`)
      : fail(`${label}.key-usage`, 'keyCertSign is not set'),
  );
  return { checks, maxPathLength: remaining };
}

function checkEndEntity(certificate: X509Certificate, options: PathValidationOptions): CheckResult[] {
  const checks: CheckResult[] = [];
  if (options.requiredKeyUsage) {
    const usage = findExtension(certificate, OID.keyUsage);
    const bits = usage ? readKeyUsage(usage.value) : undefined;
    const missing = options.requiredKeyUsage.filter((name) => !bits?.has(KEY_USAGE_BIT[name]));
    checks.push(
      missing.length === 0
        ? pass('certificate[0].key-usage')
        : fail('certificate[0].key-usage', `missing ${missing.join(', ')}`),
    );
  }
  if (options.requiredExtendedKeyUsage) {
    const usage = findExtension(certificate, OID.extKeyUsage);
    checks.push(
      usage && readExtendedKeyUsage(usage.value).includes(options.requiredExtendedKeyUsage)
        ? pass('certificate[0].extended-key-usage')
        : fail('certificate[0].extended-key-usage', `missing ${options.requiredExtendedKeyUsage}`),
    );
  }
  return checks;
}

async function revocationStatus(
  certificate: X509Certificate,
  issuer: X509Certificate,
  candidates: readonly X509Certificate[],
  anchor: TrustAnchor,
  options: PathValidationOptions,
  signers: readonly X509Certificate[],
): Promise<RevocationStatus> {
  if (options.revocation) {
    const answer = await options.revocation(certificate, issuer);
    if (answer.status !== 'unknown' || !options.crls?.length) return answer;
  }
  const validateCrlSigner = async (signer: X509Certificate) => {
    if (signers.some((outer) => equalBytes(outer.der, signer.der))) return true;
    if (signers.length >= MAX_CRL_SIGNER_DEPTH) return false;
    // A CRL signer's path answers for revocation, not for the user's policies or end-entity needs.
    const { time, crls, revocation, checkRevocation, backend } = options;
    const result = await validate(
      {
        trustAnchors: [anchor],
        time,
        ...(crls ? { crls } : {}),
        ...(revocation ? { revocation } : {}),
        ...(checkRevocation === undefined ? {} : { checkRevocation }),
        ...(backend ? { backend } : {}),
        certificate: signer,
        intermediates: candidates,
        requiredKeyUsage: ['cRLSign'],
      },
      [...signers, signer],
    );
    return result.status === 'valid';
  };
  return crlStatus({
    certificate,
    issuer,
    candidates,
    crls: options.crls ?? [],
    time: options.time,
    validateCrlSigner,
    ...(options.backend ? { backend: options.backend } : {}),
  });
}

function revocationCheck(check: string, status: RevocationStatus): CheckResult {
  switch (status.status) {
    case 'good':
      return pass(check);
    case 'revoked':
      return fail(check, `revoked${status.reason === undefined ? '' : ` (reason ${status.reason})`}`);
    case 'on-hold':
      return fail(check, 'suspended (certificateHold)');
    case 'unknown':
      return unknown(check, status.reason);
  }
}

/**
 * Builds a path from `certificate` up to a trust anchor: issuers are found by name (RFC 5280
 * §7.1), preferring those whose subjectKeyIdentifier matches the authorityKeyIdentifier.
 */
export function buildPath(
  certificate: X509Certificate,
  intermediates: readonly X509Certificate[],
  anchors: readonly TrustAnchor[],
): X509Certificate[] | undefined {
  // Certificates that differ only in order or repetition must not multiply the search.
  const seen = new Set<string>();
  const unique = intermediates.filter((candidate) => {
    const key = bytesToBinaryString(candidate.der);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  let steps = 0;
  const search = (current: X509Certificate, used: readonly X509Certificate[]): X509Certificate[] | undefined => {
    // A bounded search: many same-named certificates cannot make it try every ordering.
    if (used.length > MAX_PATH_LENGTH || ++steps > MAX_BUILD_STEPS) return undefined;
    for (const anchor of rank(
      current,
      anchors.map((a) => a.certificate),
    )) {
      if (namesMatch(current.issuer, anchor.subject)) return [current, anchor];
    }
    for (const candidate of rank(current, unique)) {
      if (used.includes(candidate) || candidate === current || !namesMatch(current.issuer, candidate.subject)) continue;
      const rest = search(candidate, [...used, candidate]);
      if (rest) return [current, ...rest];
    }
    return undefined;
  };
  return search(certificate, [certificate]);
}

/**
 * Candidate issuers, best first: those whose subjectKeyIdentifier equals the certificate's
 * authorityKeyIdentifier, then those without one. A candidate whose key identifier differs is not
 * the issuer (RFC 5280 §4.2.1.1) and is left out.
 */
function rank(certificate: X509Certificate, issuers: readonly X509Certificate[]): X509Certificate[] {
  const aki = findExtension(certificate, OID.authorityKeyIdentifier);
  const keyId = aki ? readAuthorityKeyIdentifier(aki.value) : undefined;
  if (!keyId) return [...issuers];
  const keyIdOf = (issuer: X509Certificate) => {
    const ski = findExtension(issuer, OID.subjectKeyIdentifier);
    return ski ? readSubjectKeyIdentifier(ski.value) : undefined;
  };
  const matching = issuers.filter((issuer) => {
    const id = keyIdOf(issuer);
    return id !== undefined && equalBytes(id, keyId);
  });
  return [...matching, ...issuers.filter((issuer) => keyIdOf(issuer) === undefined)];
}
