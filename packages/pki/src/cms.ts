import { encodeTlv, type TlvObject } from '@openmyna/core';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';

import { compareBytes, equalBytes } from './bytes.js';
import { fail, pass, skip, summarize, type CheckResult, type VerificationSummary } from './check-result.js';
import {
  children,
  readAlgorithmIdentifier,
  readDer,
  readInteger,
  readOid,
  readSmallInteger,
  readTime,
  TAG,
} from './der-reader.js';
import { derInteger, derSha256WithRsaAlgorithm, derTime } from './der-writer.js';
import { PkiError } from './errors.js';
import { encodeObjectIdentifier } from './object-identifier.js';
import { OID } from './oids.js';
import type { Signer } from './signer.js';
import { verifySignature, type SignatureBackend } from './verify-signature.js';
import { findExtension, parseCertificate, readSubjectKeyIdentifier, type X509Certificate } from './x509-certificate.js';
import { namesMatch } from './x509-name.js';

/** Options of {@link signCms}. */
export interface CmsSignOptions {
  readonly content: Uint8Array;
  readonly signer: Signer;
  /** The signer's certificate (DER); its key must be the signer's. */
  readonly certificate: Uint8Array;
  /** Further certificates to carry (intermediates). */
  readonly extraCertificates?: readonly Uint8Array[];
  /** `true` puts the content inside the SignedData (encapsulated); default detached. */
  readonly encapsulate?: boolean;
  readonly signingTime: Date;
  /**
   * Further signed attributes (RFC 5652 §5.3), each an OID and the DER of its one value — e.g. what binds
   * the signature to a request. They may not repeat the four this function sets.
   */
  readonly extraAttributes?: readonly { readonly oid: string; readonly value: Uint8Array }[];
}

const SHA256_ALGORITHM = () => encodeTlv(0x30, [encodeObjectIdentifier(OID.sha256)]);

/**
 * A CMS SignedData (RFC 5652) with one signer: SHA-256, RSASSA-PKCS1-v1_5, and the signed
 * attributes contentType, messageDigest, signingTime and signingCertificateV2 (RFC 5035) that bind
 * the signer's certificate. Returns the DER ContentInfo.
 *
 * @example
 * ```ts
 * const p7s = await signCms({ content: document, signer, certificate, signingTime: new Date() });
 * ```
 */
export async function signCms(options: CmsSignOptions): Promise<Uint8Array> {
  const certificate = parseCertificate(options.certificate);
  if (!equalBytes(certificate.subjectPublicKeyInfo, options.signer.publicKeyInfo)) {
    throw new PkiError('ERR_CMS', 'the certificate does not hold the signer key');
  }
  const attributes = [
    attribute(OID.idContentType, encodeObjectIdentifier(OID.idData)),
    attribute(OID.idSigningTime, derTime(options.signingTime)),
    attribute(OID.idMessageDigest, encodeTlv(0x04, sha256(options.content))),
    attribute(
      OID.idSigningCertificateV2,
      // SigningCertificateV2 { certs { ESSCertIDv2 { certHash, issuerSerial } } }; hashAlgorithm DEFAULT sha256 is omitted.
      encodeTlv(0x30, [
        encodeTlv(0x30, [encodeTlv(0x30, [encodeTlv(0x04, sha256(options.certificate)), issuerSerial(certificate)])]),
      ]),
    ),
  ];
  const own = new Set<string>([OID.idContentType, OID.idSigningTime, OID.idMessageDigest, OID.idSigningCertificateV2]);
  for (const extra of options.extraAttributes ?? []) {
    if (own.has(extra.oid)) throw new PkiError('ERR_CMS', `signed attribute ${extra.oid} is set by signCms`);
    own.add(extra.oid);
    attributes.push(attribute(extra.oid, extra.value));
  }
  // X.690 §11.6: the components of a DER SET OF are sorted by their encodings.
  attributes.sort(compareBytes);
  const signedAttributes = encodeTlv(0x31, attributes);
  const signature = await options.signer.sign(signedAttributes);
  const signerInfo = encodeTlv(0x30, [
    derInteger(1n),
    encodeTlv(0x30, [certificate.issuer, encodeTlv(0x02, certificate.serialNumber)]),
    SHA256_ALGORITHM(),
    // signedAttrs [0] IMPLICIT: the SET's contents under the context tag.
    encodeTlv(0xa0, attributes),
    derSha256WithRsaAlgorithm(),
    encodeTlv(0x04, signature),
  ]);
  const encapsulated = [encodeObjectIdentifier(OID.idData)];
  if (options.encapsulate) encapsulated.push(encodeTlv(0xa0, [encodeTlv(0x04, options.content)]));
  const certificates = [options.certificate, ...(options.extraCertificates ?? [])];
  const signedData = encodeTlv(0x30, [
    derInteger(1n),
    encodeTlv(0x31, [SHA256_ALGORITHM()]),
    encodeTlv(0x30, encapsulated),
    encodeTlv(0xa0, certificates),
    encodeTlv(0x31, [signerInfo]),
  ]);
  return encodeTlv(0x30, [encodeObjectIdentifier(OID.idSignedData), encodeTlv(0xa0, [signedData])]);
}

/** What {@link verifyCmsSignature} found. */
export interface CmsVerification extends VerificationSummary {
  /** The signer's certificate, when it was found in the SignedData. */
  readonly signer: X509Certificate | undefined;
  /** All certificates the SignedData carries. */
  readonly certificates: readonly X509Certificate[];
  /** The signed content: the encapsulated one, or the detached one given. */
  readonly content: Uint8Array | undefined;
  readonly signingTime: Date | undefined;
  /** The signed attributes by OID (each one value), when the signature verified: only those are worth reading. */
  readonly signedAttributes: ReadonlyMap<string, TlvObject> | undefined;
  /**
   * The SignerInfo's signature value, when the signature verified: what identifies this signature
   * however the unsigned parts around it are re-encoded (for "accepted once" checks).
   */
  readonly signatureValue: Uint8Array | undefined;
  /** SHA-256 of the content as computed for `cms.message-digest`, when the signature verified (no need to hash it again). */
  readonly contentDigest: Uint8Array | undefined;
}

/**
 * Verifies a CMS SignedData's one signer (RFC 5652 §5.4–5.6): digests and signature are computed
 * over the bytes received, never re-encoded. Chain and revocation of the signer certificate are the
 * caller's next step ({@link validatePath}).
 */
export async function verifyCmsSignature(options: {
  signedData: Uint8Array;
  detachedContent?: Uint8Array;
  /** The eContentType the signature must have (default id-data: a document). */
  contentType?: string;
  backend?: SignatureBackend;
}): Promise<CmsVerification> {
  const checks: CheckResult[] = [];
  let parsed: ParsedSignedData;
  try {
    parsed = parseSignedData(options.signedData);
    checks.push(pass('cms.structure'));
  } catch (error) {
    checks.push(fail('cms.structure', error instanceof Error ? error.message : 'unreadable'));
    return unreadableSignedData(checks);
  }
  const content = parsed.content ?? options.detachedContent;
  const result = (signer?: X509Certificate, signingTime?: Date, contentDigest?: Uint8Array): CmsVerification => {
    const summary = summarize(checks);
    const valid = summary.status === 'valid';
    // One literal, the summary's optional decidedBy last: no copying of the summary's properties first.
    return {
      status: summary.status,
      checks: summary.checks,
      signer,
      certificates: parsed.certificates,
      content,
      signingTime,
      signedAttributes: valid ? parsed.signerInfo.signedAttributes : undefined,
      signatureValue: valid ? parsed.signerInfo.signature : undefined,
      contentDigest: valid ? contentDigest : undefined,
      ...(summary.decidedBy ? { decidedBy: summary.decidedBy } : {}),
    };
  };
  if (parsed.content && options.detachedContent && !equalBytes(parsed.content, options.detachedContent)) {
    checks.push(fail('cms.content', 'the encapsulated content differs from the given content'));
    return result();
  }
  checks.push(content ? pass('cms.content') : fail('cms.content', 'detached signature without content'));
  const info = parsed.signerInfo;
  checks.push(...checkAlgorithms(info));
  const signer = parsed.certificates.find((certificate) => info.matches(certificate));
  checks.push(
    signer
      ? pass('cms.signer-certificate')
      : fail('cms.signer-certificate', 'the signer certificate is not in the SignedData'),
  );
  if (!content || !signer || checks.some((check) => check.status === 'fail')) return result(signer);
  const attributes = info.signedAttributes;
  if (!attributes) {
    checks.push(fail('cms.signed-attributes', 'signed attributes are required'));
    return result(signer);
  }
  try {
    return await checkSignedAttributes(attributes, parsed, signer, content, checks, result, options);
  } catch (error) {
    // An attribute that cannot be read is a failed check like any other, not an exception.
    checks.push(fail('cms.signed-attributes', error instanceof Error ? error.message : 'unreadable'));
    return result(signer);
  }
}

/** The verification of a SignedData that cannot be read: nothing of it is returned. */
function unreadableSignedData(checks: readonly CheckResult[]): CmsVerification {
  return {
    ...summarize(checks),
    signer: undefined,
    certificates: [],
    content: undefined,
    signingTime: undefined,
    signedAttributes: undefined,
    signatureValue: undefined,
    contentDigest: undefined,
  };
}

/** The SignerInfo's digestAlgorithm and signatureAlgorithm (RFC 5652 §5.3). */
function checkAlgorithms(info: ParsedSignedData['signerInfo']): CheckResult[] {
  // RFC 5754 §3.2: with a SHA-256 digest the signature is sha256WithRSAEncryption (or rsaEncryption,
  // read as that). Any other pairing — SHA-1 over the signed attributes above all — is refused.
  const signatureOid = info.signatureAlgorithm.oid;
  return [
    info.digestAlgorithm === OID.sha256
      ? pass('cms.digest-algorithm')
      : fail('cms.digest-algorithm', `${info.digestAlgorithm} is not SHA-256`),
    signatureOid === OID.rsaEncryption || signatureOid === OID.sha256WithRSAEncryption
      ? pass('cms.signature-algorithm')
      : fail('cms.signature-algorithm', `${signatureOid} is not RSA with SHA-256`),
  ];
}

async function checkSignedAttributes(
  attributes: ReadonlyMap<string, TlvObject>,
  parsed: ParsedSignedData,
  signer: X509Certificate,
  content: Uint8Array,
  checks: CheckResult[],
  result: (signer?: X509Certificate, signingTime?: Date, contentDigest?: Uint8Array) => CmsVerification,
  options: { contentType?: string; backend?: SignatureBackend },
): Promise<CmsVerification> {
  const info = parsed.signerInfo;
  const contentType = attributes.get(OID.idContentType);
  const expectedType = options.contentType ?? OID.idData;
  checks.push(
    parsed.contentType !== expectedType
      ? fail('cms.content-type', `eContentType ${parsed.contentType} is not ${expectedType}`)
      : contentType && readOid(contentType, 'contentType') === parsed.contentType
        ? pass('cms.content-type')
        : fail('cms.content-type', 'contentType attribute does not match eContentType'),
  );
  const digest = attributes.get(OID.idMessageDigest);
  const contentDigest = (options.backend?.sha256 ?? sha256)(content);
  checks.push(
    digest?.tag === TAG.OCTET_STRING && equalBytes(digest.value, contentDigest)
      ? pass('cms.message-digest')
      : fail('cms.message-digest', 'messageDigest does not match the content'),
  );
  const certificateBinding = attributes.get(OID.idSigningCertificateV2);
  if (certificateBinding) {
    checks.push(
      signingCertificateMatches(certificateBinding, signer, options.backend?.sha256 ?? sha256)
        ? pass('cms.signing-certificate')
        : fail('cms.signing-certificate', 'signingCertificateV2 names another certificate'),
    );
  } else if (attributes.has(OID.idSigningCertificate)) {
    // RFC 2634 §5.4: the first ESSCertID (SHA-1 certHash) identifies the signer's certificate.
    checks.push(
      signingCertificateMatches(attributes.get(OID.idSigningCertificate)!, signer, sha1, 'v1')
        ? pass('cms.signing-certificate')
        : fail('cms.signing-certificate', 'signingCertificate names another certificate'),
    );
  } else {
    checks.push(skip('cms.signing-certificate', 'no signingCertificate attribute'));
  }
  const signingTimeValue = attributes.get(OID.idSigningTime);
  const signingTime = signingTimeValue ? readTime(signingTimeValue, 'signingTime') : undefined;
  const verdict = await verifySignature({
    // RFC 5652 §5.4: the signature covers the DER of the signed attributes with the SET OF tag.
    data: signedAttributesAsSet(info.signedAttributesRaw!),
    signature: info.signature,
    // RFC 5754 §3.2: rsaEncryption here means PKCS#1 v1.5 with the SignerInfo's digest (SHA-256).
    algorithm:
      info.signatureAlgorithm.oid === OID.rsaEncryption
        ? { ...info.signatureAlgorithm, oid: OID.sha256WithRSAEncryption }
        : info.signatureAlgorithm,
    publicKeyInfo: signer.subjectPublicKeyInfo,
    // Signers recur (a holder signs in, signs again): their keys are kept too, in the same bounded cache.
    cacheKey: true,
    ...(options.backend ? { backend: options.backend } : {}),
  });
  checks.push(verdict === 'valid' ? pass('cms.signature') : fail('cms.signature', verdict));
  return result(signer, signingTime, contentDigest);
}

const MAX_CMS_CERTIFICATES = 16;

interface ParsedSignedData {
  readonly contentType: string;
  readonly content: Uint8Array | undefined;
  readonly certificates: X509Certificate[];
  readonly signerInfo: {
    readonly digestAlgorithm: string;
    readonly signedAttributes: Map<string, TlvObject> | undefined;
    readonly signedAttributesRaw: Uint8Array | undefined;
    readonly signatureAlgorithm: ReturnType<typeof readAlgorithmIdentifier>;
    readonly signature: Uint8Array;
    readonly matches: (certificate: X509Certificate) => boolean;
  };
}

function parseSignedData(der: Uint8Array): ParsedSignedData {
  const [type, wrapped, extra] = children(readDer(der, 'ContentInfo'), TAG.SEQUENCE, 'ContentInfo');
  if (extra || readOid(type, 'contentType') !== OID.idSignedData)
    throw new PkiError('ERR_CMS', 'not a SignedData ContentInfo');
  const [signedData] = children(wrapped, 0xa0, 'content');
  const fields = children(signedData, TAG.SEQUENCE, 'SignedData');
  readSmallInteger(fields[0], 'version');
  const digestAlgorithms = children(fields[1], TAG.SET, 'digestAlgorithms').map(
    (algorithm) => readAlgorithmIdentifier(algorithm, 'digestAlgorithm').oid,
  );
  const [eContentType, eContent] = children(fields[2], TAG.SEQUENCE, 'encapContentInfo');
  let content: Uint8Array | undefined;
  if (eContent) {
    const [octets] = children(eContent, 0xa0, 'eContent');
    if (octets?.tag !== TAG.OCTET_STRING) throw new PkiError('ERR_CMS', 'eContent is not a primitive OCTET STRING');
    content = octets.value;
  }
  let index = 3;
  const certificates: X509Certificate[] = [];
  if (fields[index]?.tag === 0xa0) {
    const items = children(fields[index++], 0xa0, 'certificates');
    // A signer needs its certificate and a few CA certificates; thousands would only cost path building.
    if (items.length > MAX_CMS_CERTIFICATES)
      throw new PkiError('ERR_CMS', `more than ${MAX_CMS_CERTIFICATES} certificates in the SignedData`);
    for (const item of items) if (item.tag === TAG.SEQUENCE) certificates.push(parseCertificate(item.raw));
  }
  if (fields[index]?.tag === 0xa1) index++; // crls: not used
  const signerInfos = children(fields[index], TAG.SET, 'signerInfos');
  if (signerInfos.length !== 1) throw new PkiError('ERR_CMS', 'exactly one SignerInfo is supported');
  const signerInfo = parseSignerInfo(signerInfos[0]!);
  // RFC 5652 §5.1: digestAlgorithms lists the signers' digest algorithms. With one signer it is that one:
  // anything else would be bytes nobody checks (a way to make the same signature look new).
  if (digestAlgorithms.length !== 1 || digestAlgorithms[0] !== signerInfo.digestAlgorithm)
    throw new PkiError('ERR_CMS', "digestAlgorithms is not exactly the signer's digest algorithm");
  return { contentType: readOid(eContentType, 'eContentType'), content, certificates, signerInfo };
}

function parseSignerInfo(object: TlvObject): ParsedSignedData['signerInfo'] {
  const fields = children(object, TAG.SEQUENCE, 'SignerInfo');
  const version = readSmallInteger(fields[0], 'SignerInfo version');
  const sid = fields[1]!;
  let matches: (certificate: X509Certificate) => boolean;
  if (version === 1) {
    const [issuer, serial] = children(sid, TAG.SEQUENCE, 'issuerAndSerialNumber');
    const serialNumber = readInteger(serial, 'serialNumber');
    matches = (certificate) =>
      namesMatch(certificate.issuer, issuer!.raw) && equalBytes(certificate.serialNumber, serialNumber);
  } else if (version === 3 && sid.tag === 0x80) {
    matches = (certificate) => {
      const ski = findExtension(certificate, OID.subjectKeyIdentifier);
      return ski !== undefined && equalBytes(readSubjectKeyIdentifier(ski.value), sid.value);
    };
  } else throw new PkiError('ERR_CMS', 'SignerInfo version and sid disagree');
  const digestAlgorithm = readAlgorithmIdentifier(fields[2], 'digestAlgorithm').oid;
  let index = 3;
  let signedAttributes: Map<string, TlvObject> | undefined;
  let signedAttributesRaw: Uint8Array | undefined;
  if (fields[index]?.tag === 0xa0) {
    signedAttributesRaw = fields[index]!.raw;
    signedAttributes = new Map();
    for (const attribute of children(fields[index++], 0xa0, 'signedAttrs')) {
      const [attributeType, values] = children(attribute, TAG.SEQUENCE, 'Attribute');
      const oid = readOid(attributeType, 'attrType');
      const list = children(values, TAG.SET, 'attrValues');
      // RFC 5652 §11: these attributes have exactly one value and appear once.
      if (signedAttributes.has(oid) || list.length !== 1) throw new PkiError('ERR_CMS', `attribute ${oid} is repeated`);
      signedAttributes.set(oid, list[0]!);
    }
  }
  const signatureAlgorithm = readAlgorithmIdentifier(fields[index++], 'signatureAlgorithm');
  const signature = fields[index++];
  if (signature?.tag !== TAG.OCTET_STRING) throw new PkiError('ERR_CMS', 'signature is not an OCTET STRING');
  return {
    digestAlgorithm,
    signedAttributes,
    signedAttributesRaw,
    signatureAlgorithm,
    signature: signature.value,
    matches,
  };
}

function signingCertificateMatches(
  value: TlvObject,
  certificate: X509Certificate,
  hash: (data: Uint8Array) => Uint8Array,
  version: 'v1' | 'v2' = 'v2',
): boolean {
  const [certs] = children(value, TAG.SEQUENCE, version === 'v2' ? 'SigningCertificateV2' : 'SigningCertificate');
  const [first] = children(certs, TAG.SEQUENCE, 'certs');
  const parts = children(first, TAG.SEQUENCE, version === 'v2' ? 'ESSCertIDv2' : 'ESSCertID');
  let index = 0;
  // ESSCertIDv2's hashAlgorithm is DEFAULT SHA-256 (RFC 5035 §4); v1 has none (always SHA-1).
  if (version === 'v2' && parts[0]?.tag === TAG.SEQUENCE) {
    if (readAlgorithmIdentifier(parts[index++], 'hashAlgorithm').oid !== OID.sha256) return false;
  }
  const certHash = parts[index];
  if (certHash?.tag !== TAG.OCTET_STRING || !equalBytes(certHash.value, hash(certificate.der))) return false;
  // issuerSerial, when given, names the same certificate (RFC 5035 §4).
  const issuerSerial = parts[index + 1];
  if (!issuerSerial) return true;
  const [names, serial] = children(issuerSerial, TAG.SEQUENCE, 'IssuerSerial');
  const directory = children(names, TAG.SEQUENCE, 'GeneralNames').find((name) => name.tag === 0xa4);
  const [issuer] = directory ? children(directory, 0xa4, 'directoryName') : [];
  return (
    issuer !== undefined &&
    namesMatch(issuer.raw, certificate.issuer) &&
    equalBytes(readInteger(serial, 'serialNumber'), certificate.serialNumber)
  );
}

/** `[0] IMPLICIT SignedAttributes` re-tagged as the `SET OF` it is (one copy, no spread of its bytes). */
function signedAttributesAsSet(raw: Uint8Array): Uint8Array {
  const set = raw.slice();
  set[0] = TAG.SET;
  return set;
}

function attribute(oid: string, value: Uint8Array): Uint8Array {
  return encodeTlv(0x30, [encodeObjectIdentifier(oid), encodeTlv(0x31, [value])]);
}

function issuerSerial(certificate: X509Certificate): Uint8Array {
  // IssuerSerial { issuer GeneralNames (directoryName [4]), serialNumber }
  return encodeTlv(0x30, [
    encodeTlv(0x30, [encodeTlv(0xa4, [certificate.issuer])]),
    encodeTlv(0x02, certificate.serialNumber),
  ]);
}
