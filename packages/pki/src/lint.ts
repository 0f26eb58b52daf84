import { formatJpkiBirthDate } from '@openmyna/core';
import { equalBytes } from './bytes.js';
import { AsnParser } from '@peculiar/asn1-schema';
import { RSAPublicKey } from '@peculiar/asn1-rsa';
import {
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  BasicConstraints,
  CRLDistributionPoints,
  ExtendedKeyUsage,
  KeyUsage,
  KeyUsageFlags,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  TBSCertificate,
  Version,
  type Extension,
} from '@peculiar/asn1-x509';

import { encodeDer, parseDer } from './asn1-schema.js';
import { PkiError } from './errors.js';
import { certificatePolicyOids } from './object-identifier.js';
import { OID } from './oids.js';
import {
  crlDistributionPointName,
  crlPartitionUrl,
  keyIdentifierOf,
  type HierarchyConfig,
  type JpkiHolder,
  type ProfileName,
} from './profiles.js';

/** The outcome of one named lint. */
export interface LintResult {
  readonly lint: string;
  readonly status: 'pass' | 'fail';
  readonly reason?: string;
}

/** What a to-be-signed certificate is checked against. */
export interface CertificateLintContext {
  readonly profile: ProfileName;
  /** DER of the issuing CA's name (the subject itself for a root). */
  readonly issuerName: Uint8Array;
  /** The issuing CA's key identifier; absent for a self-signed root. */
  readonly issuerKeyIdentifier?: Uint8Array;
  readonly config?: HierarchyConfig;
  readonly holder?: JpkiHolder;
  /** The notAfter the JPKI validity rule gives (end-entity profiles). */
  readonly expectedNotAfter?: Date;
}

type Critical = boolean;

/** Which extensions each profile carries, and whether each is critical (card-spec §4; RFC 6960). */
const PROFILE_EXTENSIONS: Readonly<Record<ProfileName, Readonly<Record<string, Critical>>>> = {
  'jpki-signing': {
    [OID.keyUsage]: true,
    [OID.certificatePolicies]: true,
    [OID.subjectAltName]: false,
    [OID.issuerAltName]: false,
    [OID.cRLDistributionPoints]: false,
    [OID.authorityInfoAccess]: false,
    [OID.authorityKeyIdentifier]: false,
    [OID.subjectKeyIdentifier]: false,
  },
  'jpki-authentication': {
    [OID.keyUsage]: true,
    [OID.extKeyUsage]: false,
    [OID.certificatePolicies]: true,
    [OID.issuerAltName]: false,
    [OID.cRLDistributionPoints]: false,
    [OID.authorityInfoAccess]: false,
    [OID.authorityKeyIdentifier]: false,
    [OID.subjectKeyIdentifier]: false,
  },
  'ca-root': { [OID.basicConstraints]: true, [OID.keyUsage]: true, [OID.subjectKeyIdentifier]: false },
  'ocsp-responder': {
    [OID.keyUsage]: true,
    [OID.extKeyUsage]: false,
    [OID.idPkixOcspNocheck]: false,
    [OID.authorityKeyIdentifier]: false,
    [OID.subjectKeyIdentifier]: false,
  },
};

const KEY_USAGE: Readonly<Record<ProfileName, number>> = {
  'jpki-signing': KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation,
  'jpki-authentication': KeyUsageFlags.digitalSignature,
  'ca-root': KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign,
  'ocsp-responder': KeyUsageFlags.digitalSignature,
};

const EXTENDED_KEY_USAGE: Readonly<Partial<Record<ProfileName, string>>> = {
  'jpki-authentication': OID.idKpClientAuth,
  'ocsp-responder': OID.idKpOcspSigning,
};

type Lint = (tbs: TBSCertificate, context: CertificateLintContext) => string | undefined;

function find(tbs: TBSCertificate, oid: string): Extension | undefined {
  return tbs.extensions?.find((extension) => extension.extnID === oid);
}

function value<T>(tbs: TBSCertificate, oid: string, schema: new () => T): T | undefined {
  const extension = find(tbs, oid);
  return extension ? AsnParser.parse(extension.extnValue, schema) : undefined;
}

const isEndEntity = (context: CertificateLintContext) =>
  context.profile === 'jpki-signing' || context.profile === 'jpki-authentication';

/** The certificate lints, in the order they run. Each returns a reason when it fails. */
const CERTIFICATE_LINTS: readonly (readonly [string, Lint])[] = [
  // RFC 5280 §4.1.2.1: extensions require v3.
  ['tbs.version-v3', (tbs) => (tbs.version === Version.v3 ? undefined : 'version is not v3')],
  [
    'tbs.serial-number',
    (tbs) => {
      const serial = new Uint8Array(tbs.serialNumber);
      // RFC 5280 §4.1.2.2: positive, at most 20 octets; CA/B BR 7.1: at least 64 bits from a CSPRNG.
      if (serial.length > 20) return 'serial number is longer than 20 octets';
      if ((serial[0] ?? 0) >= 0x80) return 'serial number is negative';
      if (serial.length < 9) return 'serial number carries fewer than 64 random bits';
      return serial.every((byte) => byte === 0) ? 'serial number is zero' : undefined;
    },
  ],
  [
    'tbs.signature-algorithm',
    (tbs) =>
      tbs.signature.algorithm === OID.sha256WithRSAEncryption && isNullParameters(tbs.signature.parameters)
        ? undefined
        : 'signature algorithm is not sha256WithRSAEncryption with NULL parameters',
  ],
  [
    'tbs.issuer-name',
    (tbs, context) => (equalBytes(encodeDer(tbs.issuer), context.issuerName) ? undefined : 'issuer is not the CA'),
  ],
  [
    'tbs.validity-order',
    (tbs) =>
      tbs.validity.notBefore.getTime() < tbs.validity.notAfter.getTime()
        ? undefined
        : 'notBefore is not before notAfter',
  ],
  [
    'tbs.validity-time-encoding',
    (tbs) => {
      // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
      for (const time of [tbs.validity.notBefore, tbs.validity.notAfter]) {
        const year = time.getTime().getUTCFullYear();
        if (year < 2050 !== (time.utcTime !== undefined)) return `a ${year} validity time uses the wrong ASN.1 type`;
      }
      return undefined;
    },
  ],
  [
    'tbs.validity-jpki-rule',
    (tbs, context) => {
      if (!isEndEntity(context)) return undefined;
      if (!context.expectedNotAfter) return 'no expected notAfter was given for an end-entity certificate';
      const actual = tbs.validity.notAfter.getTime().getTime();
      return actual === context.expectedNotAfter.getTime()
        ? undefined
        : `notAfter ${new Date(actual).toISOString()} breaks the 5th-birthday rule (${context.expectedNotAfter.toISOString()})`;
    },
  ],
  [
    'tbs.subject-key-rsa-2048',
    (tbs) => {
      const spki = tbs.subjectPublicKeyInfo;
      if (spki.algorithm.algorithm !== OID.rsaEncryption || !isNullParameters(spki.algorithm.parameters)) {
        return 'subject key is not rsaEncryption';
      }
      const key = AsnParser.parse(spki.subjectPublicKey, RSAPublicKey);
      const modulus = new Uint8Array(key.modulus);
      const bits = (modulus.length - (modulus[0] === 0 ? 1 : 0)) * 8;
      const exponent = new Uint8Array(key.publicExponent);
      if (bits !== 2048) return `subject key has ${bits} bits, not 2048`;
      return equalBytes(exponent, new Uint8Array([1, 0, 1])) ? undefined : 'subject key exponent is not 65537';
    },
  ],
  [
    'tbs.extensions-unique',
    (tbs) => {
      // RFC 5280 §4.2: a certificate MUST NOT include more than one instance of an extension.
      const ids = Array.from(tbs.extensions ?? [], (extension) => extension.extnID);
      return new Set(ids).size === ids.length ? undefined : 'an extension appears twice';
    },
  ],
  [
    'tbs.extensions-profile',
    (tbs, context) => {
      const expected = PROFILE_EXTENSIONS[context.profile];
      const present = tbs.extensions ?? [];
      for (const extension of present) {
        if (!(extension.extnID in expected))
          return `extension ${extension.extnID} is not in the ${context.profile} profile`;
        if (extension.critical !== expected[extension.extnID]) {
          return `extension ${extension.extnID} must ${expected[extension.extnID] ? '' : 'not '}be critical`;
        }
      }
      const missing = Object.keys(expected).find((oid) => !present.some((extension) => extension.extnID === oid));
      return missing ? `extension ${missing} is missing` : undefined;
    },
  ],
  [
    'tbs.key-usage',
    (tbs, context) =>
      value(tbs, OID.keyUsage, KeyUsage)?.toNumber() === KEY_USAGE[context.profile]
        ? undefined
        : 'keyUsage bits differ from the profile',
  ],
  [
    'tbs.extended-key-usage',
    (tbs, context) => {
      const expected = EXTENDED_KEY_USAGE[context.profile];
      const actual = value(tbs, OID.extKeyUsage, ExtendedKeyUsage);
      if (!expected) return actual ? 'extKeyUsage is not allowed here' : undefined;
      return actual?.length === 1 && actual[0] === expected ? undefined : `extKeyUsage is not exactly ${expected}`;
    },
  ],
  [
    'tbs.basic-constraints',
    (tbs, context) => {
      const constraints = value(tbs, OID.basicConstraints, BasicConstraints);
      if (context.profile === 'ca-root') return constraints?.cA ? undefined : 'a CA certificate needs cA TRUE';
      return constraints ? 'an end-entity certificate carries basicConstraints' : undefined;
    },
  ],
  [
    'tbs.certificate-policies',
    (tbs, context) => {
      if (!isEndEntity(context)) return undefined;
      const extension = find(tbs, OID.certificatePolicies);
      const oids = extension ? certificatePolicyOids(new Uint8Array(extension.extnValue.buffer)) : [];
      if (!context.config) return 'no hierarchy configuration was given';
      return oids.length === 1 && oids[0] === context.config.policyOid
        ? undefined
        : 'policy OID is not the configured one';
    },
  ],
  ['tbs.subject-alt-name-jpki', lintJpkiSubjectAltName],
  [
    'tbs.no-personal-data',
    (tbs, context) => {
      if (context.profile !== 'jpki-authentication') return undefined;
      if (find(tbs, OID.subjectAltName)) return 'an authentication certificate carries a subjectAltName';
      const types = Array.from(tbs.subject, (rdn) => Array.from(rdn, (attribute) => attribute.type)).flat();
      return types.every((type) => type === OID.countryName || type === OID.commonName)
        ? undefined
        : 'an authentication certificate subject may hold only C and CN';
    },
  ],
  [
    'tbs.authority-key-identifier',
    (tbs, context) => {
      if (context.profile === 'ca-root') return undefined;
      const keyIdentifier = value(tbs, OID.authorityKeyIdentifier, AuthorityKeyIdentifier)?.keyIdentifier;
      return keyIdentifier &&
        context.issuerKeyIdentifier &&
        equalBytes(new Uint8Array(keyIdentifier.buffer), context.issuerKeyIdentifier)
        ? undefined
        : 'authorityKeyIdentifier does not name the issuing key';
    },
  ],
  [
    'tbs.subject-key-identifier',
    (tbs) => {
      const keyIdentifier = value(tbs, OID.subjectKeyIdentifier, SubjectKeyIdentifier);
      const expected = keyIdentifierOf(encodeDer(tbs.subjectPublicKeyInfo));
      return keyIdentifier && equalBytes(new Uint8Array(keyIdentifier.buffer), expected)
        ? undefined
        : 'subjectKeyIdentifier is not the SHA-1 of the subject key';
    },
  ],
  [
    'tbs.ocsp-nocheck',
    (tbs, context) => {
      if (context.profile !== 'ocsp-responder') return undefined;
      const nocheck = find(tbs, OID.idPkixOcspNocheck);
      return nocheck && equalBytes(new Uint8Array(nocheck.extnValue.buffer), new Uint8Array([0x05, 0x00]))
        ? undefined
        : 'id-pkix-ocsp-nocheck must hold NULL';
    },
  ],
  [
    'tbs.revocation-pointers',
    (tbs, context) => {
      if (!isEndEntity(context)) return undefined;
      if (!context.config || !context.holder) return 'no hierarchy configuration or holder was given';
      const points = value(tbs, OID.cRLDistributionPoints, CRLDistributionPoints);
      // One point, named as on the card (its directoryName) and by the URI it is fetched from.
      const names = points?.[0]?.distributionPoint?.fullName ?? [];
      const directory = names[0]?.directoryName;
      const uri = names[1]?.uniformResourceIdentifier;
      if (
        points?.length !== 1 ||
        names.length !== 2 ||
        !directory ||
        !equalBytes(
          encodeDer(directory),
          encodeDer(crlDistributionPointName(context.config.hierarchy, context.holder)),
        ) ||
        uri !== crlPartitionUrl(context.config, context.holder.municipalityCode)
      ) {
        return 'cRLDistributionPoints is not the holder municipality partition';
      }
      const access = value(tbs, OID.authorityInfoAccess, AuthorityInfoAccessSyntax);
      return access?.length === 1 &&
        access[0]?.accessMethod === OID.idAdOcsp &&
        access[0].accessLocation.uniformResourceIdentifier === context.config.ocspUrl
        ? undefined
        : 'authorityInfoAccess is not the configured OCSP responder';
    },
  ],
];

function lintJpkiSubjectAltName(tbs: TBSCertificate, context: CertificateLintContext): string | undefined {
  const names = value(tbs, OID.subjectAltName, SubjectAlternativeName);
  if (context.profile !== 'jpki-signing') return undefined;
  if (!context.holder) return 'no holder was given';
  const info = context.holder.basicFourInfo;
  const zeros = (text: string) => '0'.repeat([...text].length);
  const expected: readonly (readonly [string, string])[] = [
    [OID.jpkiName, info.name],
    [OID.jpkiBirthDate, formatJpkiBirthDate(info.birthDate)],
    [OID.jpkiSex, info.sex],
    [OID.jpkiAddress, info.address],
    [OID.jpkiNameSubstitutePositions, zeros(info.name)],
    [OID.jpkiAddressSubstitutePositions, zeros(info.address)],
  ];
  if (!names || names.length !== expected.length) return 'subjectAltName does not hold the six JPKI entries';
  for (const [index, [oid, text]] of expected.entries()) {
    const other = names[index]?.otherName;
    if (other?.typeId !== oid) return `subjectAltName entry ${index + 1} is not ${oid}`;
    const raw = new Uint8Array(other.value);
    // card-spec §4.3: each value is a UTF8String.
    if (raw[0] !== 0x0c) return `subjectAltName ${oid} is not a UTF8String`;
    if (new TextDecoder().decode(raw.subarray(raw[1]! < 0x80 ? 2 : 2 + (raw[1]! & 0x7f))) !== text) {
      return `subjectAltName ${oid} does not match the registry`;
    }
  }
  return undefined;
}

function isNullParameters(parameters: ArrayBuffer | null | undefined): boolean {
  return (
    parameters === null ||
    (parameters instanceof ArrayBuffer && equalBytes(new Uint8Array(parameters), new Uint8Array([5, 0])))
  );
}

/**
 * Runs every certificate lint over a DER TBSCertificate and returns the named results in order.
 *
 * @example
 * ```ts
 * const results = lintCertificate(tbs, { profile: 'jpki-authentication', issuerName, issuerKeyIdentifier, config, holder, expectedNotAfter });
 * ```
 */
export function lintCertificate(tbsCertificate: Uint8Array, context: CertificateLintContext): LintResult[] {
  const tbs = parseDer(tbsCertificate, TBSCertificate, 'TBSCertificate');
  return CERTIFICATE_LINTS.map(([lint, check]) => {
    let reason: string | undefined;
    try {
      reason = check(tbs, context);
    } catch {
      reason = 'the value could not be read';
    }
    return reason === undefined ? { lint, status: 'pass' } : { lint, status: 'fail', reason };
  });
}

/** Throws `ERR_LINT` naming the first failed lint. */
export function assertLintsPass(results: readonly LintResult[], what: string): void {
  const failed = results.find((result) => result.status === 'fail');
  if (failed) throw new PkiError('ERR_LINT', `${what} fails lint ${failed.lint}: ${failed.reason ?? ''}`);
}
