import {
  certificateNotAfter,
  encodeTlv,
  formatJpkiBirthDate,
  type BasicFourInfo,
  type CalendarDate,
  type MunicipalityCode,
} from '@openmyna/core';
import { sha1 } from '@noble/hashes/legacy.js';
import { OctetString } from '@peculiar/asn1-schema';
import type { Name } from '@peculiar/asn1-x509';
import {
  AlgorithmIdentifier,
  AuthorityInfoAccessSyntax,
  AccessDescription,
  AuthorityKeyIdentifier,
  BasicConstraints,
  CertificatePolicies,
  CRLDistributionPoints,
  DistributionPoint,
  DistributionPointName,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  IssueAlternativeName,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  OtherName,
  PolicyInformation,
  PolicyQualifierInfo,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';

import { buildName, encodeDer, parseDer } from './asn1-schema.js';
import type { NameAttribute } from './name.js';
import { OID, type Hierarchy } from './oids.js';

export type { Hierarchy } from './oids.js';

/** The certificate profiles a JPKI CA issues. */
export type ProfileName = 'jpki-signing' | 'jpki-authentication' | 'ca-root' | 'ocsp-responder';

/** Where a hierarchy publishes things, and under which policy it issues: configuration, not code. */
export interface HierarchyConfig {
  readonly hierarchy: Hierarchy;
  /** certificatePolicies OID of end-entity certificates (default J-LIS's, `DEFAULT_POLICY_OIDS`). */
  readonly policyOid: string;
  /** The issuerAltName directoryName end-entity certificates carry (default {@link DEFAULT_ISSUER_ALT_NAME}). */
  readonly issuerAltName?: readonly NameAttribute[];
  readonly cpsUri: string;
  /** AIA id-ad-ocsp URL. */
  readonly ocspUrl: string;
  /** CRL partitions are published at `${crlBaseUrl}/${municipalityCode}.crl`. */
  readonly crlBaseUrl: string;
}

/**
 * The issuerAltName of real JPKI end-entity certificates, by hierarchy (card-spec §4.2; the 利用者証明用
 * one as the real certificate in test-vectors/jpki-real carries it).
 */
export const DEFAULT_ISSUER_ALT_NAME: Readonly<Record<Hierarchy, readonly NameAttribute[]>> = {
  signing: [
    ['C', 'JP'],
    ['O', '公的個人認証サービス'],
    ['OU', '公的個人認証サービス署名用'],
    ['OU', '地方公共団体情報システム機構'],
  ],
  authentication: [
    ['C', 'JP'],
    ['O', '公的個人認証サービス'],
    ['OU', '公的個人認証サービス利用者証明用'],
    ['OU', '地方公共団体情報システム機構'],
  ],
};

/** The organizational unit naming each hierarchy in its CRL distribution points, as J-LIS's do. */
const HIERARCHY_UNIT: Readonly<Record<Hierarchy, string>> = {
  signing: 'JPKI for digital signature',
  authentication: 'JPKI for user authentication',
};

/**
 * The directoryName of a municipality's CRL distribution point, structured as on the card:
 * `C=JP, O=JPKI, OU=<hierarchy>, OU=CRL Distribution Points, OU=<prefecture>, CN=<municipality> CRLDP`
 * (J-LIS writes the names in romaji; we have them in Japanese).
 */
export function crlDistributionPointName(
  hierarchy: Hierarchy,
  holder: Pick<JpkiHolder, 'prefecture' | 'municipality'>,
) {
  return buildName([
    ['C', 'JP'],
    ['O', 'JPKI'],
    ['OU', HIERARCHY_UNIT[hierarchy]],
    ['OU', 'CRL Distribution Points'],
    ['OU', holder.prefecture],
    ['CN', `${holder.municipality} CRLDP`],
  ]);
}

/** The registry data a JPKI end-entity certificate is built from (never from the request). */
export interface JpkiHolder {
  readonly basicFourInfo: BasicFourInfo;
  readonly municipalityCode: MunicipalityCode;
  readonly prefecture: string;
  readonly municipality: string;
  /** Expiry of the card (or phone) the key lives on; caps the certificate. */
  readonly cardExpiry: CalendarDate;
}

const SHA256_WITH_RSA = () => new AlgorithmIdentifier({ algorithm: OID.sha256WithRSAEncryption, parameters: null });

/** `sha256WithRSAEncryption` with NULL parameters (RFC 4055 §5). */
export function signatureAlgorithm(): AlgorithmIdentifier {
  return SHA256_WITH_RSA();
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's value. */
export function keyIdentifierOf(publicKeyInfo: Uint8Array): Uint8Array {
  const spki = parseDer(publicKeyInfo, SubjectPublicKeyInfo, 'SubjectPublicKeyInfo');
  return sha1(new Uint8Array(spki.subjectPublicKey));
}

/** The URL of the CRL partition that covers `municipalityCode`. */
export function crlPartitionUrl(config: HierarchyConfig, municipalityCode: string): string {
  return `${config.crlBaseUrl}/${municipalityCode}.crl`;
}

function extension(oid: string, critical: boolean, value: object): Extension {
  return new Extension({ extnID: oid, critical, extnValue: new OctetString(encodeDer(value)) });
}

function policies(config: HierarchyConfig): CertificatePolicies {
  const qualifier = new PolicyQualifierInfo({
    policyQualifierId: '1.3.6.1.5.5.7.2.1',
    qualifier: toArrayBuffer(encodeTlv(0x16, new TextEncoder().encode(config.cpsUri))),
  });
  return new CertificatePolicies([
    new PolicyInformation({ policyIdentifier: config.policyOid, policyQualifiers: [qualifier] }),
  ]);
}

/** Inputs common to every profile. */
export interface TbsInput {
  readonly serialNumber: Uint8Array;
  readonly issuer: Name;
  readonly subject: Name;
  readonly subjectPublicKeyInfo: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly extensions: readonly Extension[];
}

/** Assembles a v3 TBSCertificate. */
export function buildTbsCertificate(input: TbsInput): TBSCertificate {
  return new TBSCertificate({
    version: Version.v3,
    serialNumber: toArrayBuffer(input.serialNumber),
    signature: SHA256_WITH_RSA(),
    issuer: input.issuer,
    validity: new Validity({ notBefore: input.notBefore, notAfter: input.notAfter }),
    subject: input.subject,
    subjectPublicKeyInfo: parseDer(input.subjectPublicKeyInfo, SubjectPublicKeyInfo, 'SubjectPublicKeyInfo'),
    extensions: new Extensions([...input.extensions]),
  });
}

/** The six JPKI otherName entries of a signing certificate, in the card's order .1, .4, .3, .5, .2, .6. */
export function jpkiSubjectAltName(info: BasicFourInfo): SubjectAlternativeName {
  const entry = (typeId: string, value: string) =>
    new GeneralName({ otherName: new OtherName({ typeId, value: utf8StringDer(value) }) });
  const zeros = (text: string) => '0'.repeat([...text].length);
  return new SubjectAlternativeName([
    entry(OID.jpkiName, info.name),
    entry(OID.jpkiBirthDate, formatJpkiBirthDate(info.birthDate)),
    entry(OID.jpkiSex, info.sex),
    entry(OID.jpkiAddress, info.address),
    entry(OID.jpkiNameSubstitutePositions, zeros(info.name)),
    entry(OID.jpkiAddressSubstitutePositions, zeros(info.address)),
  ]);
}

/** DER UTF8String (X.690 §8.23). */
export function utf8StringDer(value: string): ArrayBuffer {
  return toArrayBuffer(encodeTlv(0x0c, new TextEncoder().encode(value)));
}

/** Extensions of a JPKI end-entity certificate, in the order real JPKI certificates carry them. */
export function endEntityExtensions(options: {
  readonly profile: 'jpki-signing' | 'jpki-authentication';
  readonly config: HierarchyConfig;
  readonly holder: JpkiHolder;
  readonly subjectPublicKeyInfo: Uint8Array;
  readonly issuerKeyIdentifier: Uint8Array;
  /** The issuing CA certificate's own issuer name and serial, for the authorityKeyIdentifier (as on the card). */
  readonly authority?: { readonly issuer: Name; readonly serialNumber: Uint8Array };
}): Extension[] {
  const { profile, config, holder } = options;
  const signing = profile === 'jpki-signing';
  const keyUsage = signing
    ? KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation
    : KeyUsageFlags.digitalSignature;
  const list = [extension(OID.keyUsage, true, new KeyUsage(keyUsage))];
  if (!signing) list.push(extension(OID.extKeyUsage, false, new ExtendedKeyUsage([OID.idKpClientAuth])));
  list.push(extension(OID.certificatePolicies, true, policies(config)));
  if (signing) list.push(extension(OID.subjectAltName, false, jpkiSubjectAltName(holder.basicFourInfo)));
  list.push(
    extension(
      OID.issuerAltName,
      false,
      new IssueAlternativeName([
        new GeneralName({
          directoryName: buildName(config.issuerAltName ?? DEFAULT_ISSUER_ALT_NAME[config.hierarchy]),
        }),
      ]),
    ),
    extension(OID.cRLDistributionPoints, false, crlDistributionPoints(config, holder)),
    extension(OID.authorityInfoAccess, false, ocspAccess(config)),
    extension(
      OID.authorityKeyIdentifier,
      false,
      authorityKeyIdentifier(options.issuerKeyIdentifier, options.authority),
    ),
    extension(OID.subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyIdentifierOf(options.subjectPublicKeyInfo))),
  );
  return list;
}

/** RFC 5280 §4.2.1.13: the directoryName the card's certificates carry, and a URI a relying party can fetch. */
function crlDistributionPoints(config: HierarchyConfig, holder: JpkiHolder): CRLDistributionPoints {
  return new CRLDistributionPoints([
    new DistributionPoint({
      distributionPoint: new DistributionPointName({
        fullName: [
          new GeneralName({ directoryName: crlDistributionPointName(config.hierarchy, holder) }),
          new GeneralName({ uniformResourceIdentifier: crlPartitionUrl(config, holder.municipalityCode) }),
        ],
      }),
    }),
  ]);
}

/** RFC 5280 §4.2.2.1: the id-ad-ocsp access description. */
function ocspAccess(config: HierarchyConfig): AuthorityInfoAccessSyntax {
  return new AuthorityInfoAccessSyntax([
    new AccessDescription({
      accessMethod: OID.idAdOcsp,
      accessLocation: new GeneralName({ uniformResourceIdentifier: config.ocspUrl }),
    }),
  ]);
}

/** RFC 5280 §4.2.1.1, as on the card: the key id, and the issuing certificate's issuer and serial. */
function authorityKeyIdentifier(
  keyIdentifier: Uint8Array,
  authority: { readonly issuer: Name; readonly serialNumber: Uint8Array } | undefined,
): AuthorityKeyIdentifier {
  return new AuthorityKeyIdentifier({
    keyIdentifier: new KeyIdentifier(keyIdentifier),
    ...(authority
      ? {
          authorityCertIssuer: [new GeneralName({ directoryName: authority.issuer })],
          authorityCertSerialNumber: toArrayBuffer(authority.serialNumber),
        }
      : {}),
  });
}

/** Extensions of a self-signed hierarchy root. */
export function rootExtensions(subjectPublicKeyInfo: Uint8Array): Extension[] {
  return [
    extension(OID.basicConstraints, true, new BasicConstraints({ cA: true, pathLenConstraint: 0 })),
    extension(OID.keyUsage, true, new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)),
    extension(OID.subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyIdentifierOf(subjectPublicKeyInfo))),
  ];
}

/** Extensions of a delegated OCSP responder (RFC 6960 §4.2.2.2, §4.2.2.2.1). */
export function ocspResponderExtensions(
  subjectPublicKeyInfo: Uint8Array,
  issuerKeyIdentifier: Uint8Array,
): Extension[] {
  return [
    extension(OID.keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature)),
    extension(OID.extKeyUsage, false, new ExtendedKeyUsage([OID.idKpOcspSigning])),
    new Extension({
      extnID: OID.idPkixOcspNocheck,
      critical: false,
      extnValue: new OctetString(new Uint8Array([0x05, 0x00])),
    }),
    extension(
      OID.authorityKeyIdentifier,
      false,
      new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(issuerKeyIdentifier) }),
    ),
    extension(OID.subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyIdentifierOf(subjectPublicKeyInfo))),
  ];
}

/** The notAfter a JPKI end-entity certificate must have (card-spec §4.1). */
export function expectedNotAfter(holder: JpkiHolder, issuedAt: CalendarDate, notLaterThan?: Date): Date {
  return certificateNotAfter({
    birthDate: holder.basicFourInfo.birthDate,
    issueDate: issuedAt,
    cardExpiry: holder.cardExpiry,
    ...(notLaterThan ? { notLaterThan } : {}),
  });
}

/** A copy of `bytes` as an ArrayBuffer of exactly its length. */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer;
}
