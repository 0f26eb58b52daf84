import { fail, pass, skip, summarize, unknown, type CheckResult, type VerificationSummary } from '@openmyna/pki';

import { equalBytes } from './bytes.js';
import { encodedCbor, type CborValue } from './cbor.js';
import type { AuthorizedElement } from './certificate-profiles.js';
import {
  validateMdocChain,
  type MdocChainCache,
  type MdocTrustAnchor,
  type ValidatedLeaf,
} from './certificate-chain.js';
import { coseVerificationProblem, verifyCoseMac0, verifyCoseSign1, x5chainOf } from './cose.js';
import type { EcPrivateKey, MdocCrypto } from './crypto.js';
import type { ItemsRequest } from './device-request.js';
import { decodeDeviceResponse, deriveEMacKey, type DeviceResponse, type ResponseDocument } from './device-response.js';
import { elementProblem } from './element-types.js';
import { issuerSignedItemDigest } from './issuer-signed.js';
import {
  decodeMobileSecurityObject,
  type MobileSecurityObject,
  type StatusListReference,
  type ValidityInfo,
} from './mobile-security-object.js';
import { authenticationBytes, type SessionTranscript } from './session-transcript.js';

/** The answer of a revocation source for one status-list reference. */
export type CredentialStatus = 'valid' | 'invalid' | 'suspended' | 'unknown';

/** Looks up a credential's status (e.g. an IETF Token Status List fetched and verified). */
export type StatusChecker = (reference: StatusListReference) => Promise<CredentialStatus>;

export interface VerifyDeviceResponseOptions {
  readonly response: Uint8Array;
  readonly sessionTranscript: SessionTranscript;
  /** IACA certificates this verifier trusts. */
  readonly issuerAnchors: readonly MdocTrustAnchor[];
  readonly time: Date;
  readonly crypto: MdocCrypto;
  /** The docType asked for; other documents fail `response.docType`. */
  readonly docType: string;
  /** The reader's ephemeral private key, needed to check a deviceMac. */
  readonly eReaderKey?: EcPrivateKey;
  /** What was requested; anything returned beyond it fails `request.consistency`. */
  readonly request?: ItemsRequest;
  /** What this reader may receive (its certificate or the RP registry); anything beyond fails `request.consistency`. */
  readonly authorizedElements?: readonly AuthorizedElement[];
  readonly status?: StatusChecker;
  readonly chainCache?: MdocChainCache;
  /** Size limits, each defaulting to {@link MDOC_LIMITS}. */
  readonly limits?: Partial<MdocLimits>;
}

/** How much a DeviceResponse may hold before it is refused unverified (`response.limits`). */
export interface MdocLimits {
  /** The encoded response. */
  readonly responseBytes: number;
  readonly documents: number;
  /** Namespaces per document. */
  readonly nameSpaces: number;
  /** Elements per namespace. */
  readonly elements: number;
  /** One encoded IssuerSignedItem (a portrait is the largest). */
  readonly elementBytes: number;
}

/** Generous for any real credential (the card face with its portrait is about 30 KiB), small for an attack. */
export const MDOC_LIMITS: MdocLimits = {
  responseBytes: 4 * 1024 * 1024,
  documents: 8,
  nameSpaces: 16,
  elements: 256,
  elementBytes: 1024 * 1024,
};

/** A document whose checks all passed (or only status is unknown). */
export interface VerifiedDocument {
  readonly docType: string;
  readonly elements: ReadonlyMap<string, ReadonlyMap<string, CborValue>>;
  readonly validityInfo: ValidityInfo;
  readonly documentSigner: Uint8Array;
}

export interface DeviceResponseVerification {
  readonly summary: VerificationSummary;
  /** Empty unless the summary is `valid` or `status-unknown`: nothing unverified leaks out. */
  readonly documents: readonly VerifiedDocument[];
}

/**
 * Verifies a DeviceResponse as the ordered checks of ISO/IEC 18013-5 §9.3.1: `response.decode`,
 * `response.limits` ({@link MDOC_LIMITS}), `response.status`, `response.docType`, `issuer.certificate.parse`,
 * `issuer.chain.anchor`, `issuer.chain.signature`, `issuer.certificate.profile`, `issuer.certificate.validity`,
 * `issuer.signature`, `mso.decode`, `mso.docType`, `mso.validity`, `issuer.digests`, `issuer.elements`
 * (each element's type, and the issuer's country against its certificate),
 * `device.nameSpaces`, `device.authentication`, `request.consistency`, `status.revocation`.
 * Stops at the first failure (fail closed).
 *
 * @example
 * ```ts
 * const { summary, documents } = await verifyDeviceResponse({ response, sessionTranscript, issuerAnchors, time, crypto, docType: MNC_DOCTYPE });
 * if (summary.status !== 'valid') throw new Error(summary.decidedBy!.check);
 * ```
 */
export async function verifyDeviceResponse(options: VerifyDeviceResponseOptions): Promise<DeviceResponseVerification> {
  const checks: CheckResult[] = [];
  const done = (documents: VerifiedDocument[] = []): DeviceResponseVerification => {
    const summary = summarize(checks);
    return { summary, documents: summary.status === 'invalid' ? [] : documents };
  };
  const limits = { ...MDOC_LIMITS, ...options.limits };
  // Counted before anything is decoded or verified: the work an attacker can cause is bounded.
  if (options.response.length > limits.responseBytes) {
    checks.push(fail('response.limits', `the response is larger than ${limits.responseBytes} bytes`));
    return done();
  }
  let response: DeviceResponse;
  try {
    response = decodeDeviceResponse(options.response);
  } catch (error) {
    checks.push(fail('response.decode', (error as Error).message));
    return done();
  }
  checks.push(pass('response.decode'));
  const limit = limitProblem(response, limits);
  checks.push(limit ? fail('response.limits', limit) : pass('response.limits'));
  if (limit) return done();
  if (response.status !== 0 || response.documents.length === 0) {
    checks.push(fail('response.status', `status ${response.status} with ${response.documents.length} documents`));
    return done();
  }
  checks.push(pass('response.status'));
  const documents: VerifiedDocument[] = [];
  for (const document of response.documents) {
    const verified = await verifyDocument(document, options, checks);
    if (!verified) return done();
    documents.push(verified);
  }
  return done(documents);
}

async function verifyDocument(
  document: ResponseDocument,
  options: VerifyDeviceResponseOptions,
  checks: CheckResult[],
): Promise<VerifiedDocument | undefined> {
  const check = namedCheck(checks);
  if (
    !check(
      'response.docType',
      document.docType === options.docType ? undefined : `docType "${document.docType}" was not requested`,
    )
  )
    return undefined;

  const documentSigner = await verifyIssuerAuth(document, options, checks);
  if (!documentSigner) return undefined;
  const mso = readMobileSecurityObject(document, options, documentSigner, checks);
  if (!mso) return undefined;

  const elements = new Map<string, Map<string, CborValue>>();
  const digestProblem = await checkDigests(document, mso, options.crypto, elements);
  if (!check('issuer.digests', digestProblem)) return undefined;
  if (!check('issuer.elements', elementProblem(elements, documentSigner.certificate))) return undefined;

  // §9.1.3.1 / §9.1.2.4: device-signed elements need keyAuthorizations in the MSO; we issue none.
  if (
    !check(
      'device.nameSpaces',
      document.deviceNameSpaces.size === 0 ? undefined : 'device-signed elements are not authorized by the MSO',
    )
  )
    return undefined;

  if (!check('device.authentication', await deviceAuthenticationProblem(document, mso, options))) return undefined;
  if (!check('request.consistency', consistencyProblem(elements, document.docType, options))) return undefined;

  checks.push(await statusCheck(mso, options.status));
  return {
    docType: document.docType,
    elements,
    validityInfo: mso.validityInfo,
    documentSigner: documentSigner.certificate.der,
  };
}

/** Records a named check that passes when there is no problem; says whether it passed. */
function namedCheck(checks: CheckResult[]): (name: string, problem: string | undefined) => boolean {
  return (name, problem) => {
    checks.push(problem === undefined ? pass(name) : fail(name, problem));
    return problem === undefined;
  };
}

/** issuerAuth: its x5chain validated to a trusted anchor, and its signature under the document-signer key. */
async function verifyIssuerAuth(
  document: ResponseDocument,
  options: VerifyDeviceResponseOptions,
  checks: CheckResult[],
): Promise<ValidatedLeaf | undefined> {
  const check = namedCheck(checks);
  const { issuerAuth } = document.issuerSigned;
  let chain: Uint8Array[];
  try {
    chain = x5chainOf(issuerAuth, 'issuerAuth');
  } catch (error) {
    return void check('issuer.certificate.parse', (error as Error).message);
  }
  const validated = await validateMdocChain({
    chain,
    anchors: options.issuerAnchors,
    role: 'document-signer',
    time: options.time,
    crypto: options.crypto,
    prefix: 'issuer',
    cache: options.chainCache,
  });
  checks.push(...validated.checks);
  if (!validated.leaf) return undefined;
  const documentSigner = validated.leaf;

  const signatureProblem = await coseVerificationProblem(
    verifyCoseSign1({
      message: issuerAuth,
      key: documentSigner.publicKey,
      crypto: options.crypto,
      field: 'issuerAuth',
    }),
    'issuerAuth does not verify under the document-signer key',
  );
  return check('issuer.signature', signatureProblem) ? documentSigner : undefined;
}

/** The signed MobileSecurityObject: decoded, for this docType, and valid now and within the signer's validity. */
function readMobileSecurityObject(
  document: ResponseDocument,
  options: VerifyDeviceResponseOptions,
  documentSigner: ValidatedLeaf,
  checks: CheckResult[],
): MobileSecurityObject | undefined {
  const check = namedCheck(checks);
  let mso: MobileSecurityObject;
  try {
    mso = decodeMobileSecurityObject(document.issuerSigned.issuerAuth.payload);
  } catch (error) {
    return void check('mso.decode', (error as Error).message);
  }
  checks.push(pass('mso.decode'));
  if (!check('mso.docType', mso.docType === document.docType ? undefined : 'the MSO was issued for another docType'))
    return undefined;
  if (!check('mso.validity', validityProblem(mso.validityInfo, options.time, documentSigner.certificate)))
    return undefined;
  return mso;
}

function limitProblem(response: DeviceResponse, limits: MdocLimits): string | undefined {
  if (response.documents.length > limits.documents) return `more than ${limits.documents} documents`;
  for (const document of response.documents) {
    const { nameSpaces } = document.issuerSigned;
    if (nameSpaces.size > limits.nameSpaces) return `a document has more than ${limits.nameSpaces} namespaces`;
    for (const [nameSpace, items] of nameSpaces) {
      if (items.length > limits.elements) return `"${nameSpace}" has more than ${limits.elements} elements`;
      if (items.some((item) => item.bytes.length > limits.elementBytes))
        return `an element in "${nameSpace}" is larger than ${limits.elementBytes} bytes`;
    }
  }
  return undefined;
}

function validityProblem(
  validity: ValidityInfo,
  time: Date,
  signer: { notBefore: Date; notAfter: Date },
): string | undefined {
  const now = time.getTime();
  // §9.3.1 step 6: the current time lies within validFrom–validUntil, and "signed" within the DS validity.
  if (now < validity.validFrom.getTime()) return `the MSO is valid from ${validity.validFrom.toISOString()}`;
  if (now > validity.validUntil.getTime()) return `the MSO expired at ${validity.validUntil.toISOString()}`;
  if (validity.validFrom.getTime() > validity.validUntil.getTime()) return 'validFrom is after validUntil';
  // §9.1.2.4: validFrom is equal to or later than signed.
  if (validity.validFrom.getTime() < validity.signed.getTime()) return 'validFrom is before signed';
  const signedAt = validity.signed.getTime();
  if (signedAt < signer.notBefore.getTime() || signedAt > signer.notAfter.getTime()) {
    return 'the MSO was signed outside the document-signer certificate validity';
  }
  return undefined;
}

async function checkDigests(
  document: ResponseDocument,
  mso: MobileSecurityObject,
  crypto: MdocCrypto,
  elements: Map<string, Map<string, CborValue>>,
): Promise<string | undefined> {
  for (const [nameSpace, items] of document.issuerSigned.nameSpaces) {
    const digests = mso.valueDigests.get(nameSpace);
    if (!digests) return `the MSO has no digests for "${nameSpace}"`;
    const values = new Map<string, CborValue>();
    const seen = new Set<number>();
    for (const item of items) {
      // §9.3.1 step 5: each item's digest equals valueDigests[nameSpace][digestID].
      const expected = digests.get(item.digestID);
      if (!expected) return `no digest for "${item.elementIdentifier}" in "${nameSpace}"`;
      if (seen.has(item.digestID) || values.has(item.elementIdentifier))
        return `"${item.elementIdentifier}" appears twice`;
      seen.add(item.digestID);
      const digest = await issuerSignedItemDigest(item, crypto, mso.digestAlgorithm);
      if (!equalBytes(digest, expected))
        return `the digest of "${item.elementIdentifier}" in "${nameSpace}" does not match`;
      if (item.random.length < 16) return `the salt of "${item.elementIdentifier}" is shorter than 16 bytes`;
      values.set(item.elementIdentifier, item.elementValue);
    }
    elements.set(nameSpace, values);
  }
  return undefined;
}

async function deviceAuthenticationProblem(
  document: ResponseDocument,
  mso: MobileSecurityObject,
  options: VerifyDeviceResponseOptions,
): Promise<string | undefined> {
  const payload = authenticationBytes('DeviceAuthentication', options.sessionTranscript, [
    document.docType,
    encodedCbor(document.deviceNameSpacesBytes),
  ]);
  const { deviceSignature, deviceMac } = document.deviceAuth;
  if (deviceSignature) {
    return coseVerificationProblem(
      verifyCoseSign1({
        message: deviceSignature,
        key: mso.deviceKey,
        crypto: options.crypto,
        detachedPayload: payload,
        field: 'deviceSignature',
      }),
      'deviceSignature does not verify over this session transcript with the MSO device key',
    );
  }
  if (!options.eReaderKey) return 'a deviceMac needs the reader ephemeral key, which was not given';
  // The MAC key is agreed with our P-256 reader key: a device key on another curve can only sign.
  if (mso.deviceKey.crv !== 'P-256') return `a deviceMac needs a P-256 device key, not ${mso.deviceKey.crv}`;
  const secret = await options.eReaderKey.deriveSharedSecret(mso.deviceKey);
  const key = await deriveEMacKey(secret, options.sessionTranscript, options.crypto);
  return coseVerificationProblem(
    verifyCoseMac0({ message: deviceMac!, key, crypto: options.crypto, detachedPayload: payload, field: 'deviceMac' }),
    'deviceMac does not verify over this session transcript',
  );
}

function consistencyProblem(
  elements: ReadonlyMap<string, ReadonlyMap<string, CborValue>>,
  docType: string,
  options: VerifyDeviceResponseOptions,
): string | undefined {
  for (const [nameSpace, values] of elements) {
    for (const identifier of values.keys()) {
      if (options.request && !options.request.nameSpaces.get(nameSpace)?.has(identifier)) {
        return `"${identifier}" was returned but not requested`;
      }
      if (
        options.authorizedElements &&
        !options.authorizedElements.some(
          (entry) =>
            entry.docType === docType && entry.nameSpace === nameSpace && entry.elementIdentifier === identifier,
        )
      ) {
        return `this reader is not authorized to receive "${identifier}"`;
      }
    }
  }
  return undefined;
}

async function statusCheck(mso: MobileSecurityObject, checker: StatusChecker | undefined): Promise<CheckResult> {
  if (!mso.status) return skip('status.revocation', 'the MSO carries no status reference');
  if (!checker) return unknown('status.revocation', 'no status source is configured');
  let status: CredentialStatus;
  try {
    status = await checker(mso.status);
  } catch (error) {
    return unknown('status.revocation', `the status list could not be read: ${(error as Error).message}`);
  }
  if (status === 'valid') return pass('status.revocation');
  if (status === 'unknown') return unknown('status.revocation', 'the status list gave no answer');
  return fail('status.revocation', `the credential is ${status === 'invalid' ? 'revoked' : 'suspended'}`);
}
