import { bytesToHex } from '@noble/hashes/utils.js';
import type { TlvObject } from '@openmyna/core';

import {
  children,
  contextTag,
  readAlgorithmIdentifier,
  readBitStringBytes,
  readBoolean,
  readDer,
  readInteger,
  readNamedBits,
  readSmallInteger,
  readTime,
  TAG,
  type AlgorithmIdentifierValue,
} from './der-reader.js';
import { PkiError } from './errors.js';
import { OID } from './oids.js';
import {
  readDistributionPointName,
  readExtensionList,
  readGeneralName,
  readExtensions,
  type GeneralNameValue,
  type X509Extension,
} from './x509-certificate.js';

/** CRLReason (RFC 5280 §5.3.1). */
export const CRL_REASON = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

export type CrlReasonName = keyof typeof CRL_REASON;

/** One revoked certificate of a CRL. */
export interface RevokedEntry {
  readonly revocationDate: Date;
  readonly reason: number | undefined;
  /** A critical entry extension we do not process: the CRL is unusable. */
  readonly unsupportedCriticalExtension: boolean;
}

/** An entry of an indirect CRL listed under another issuer's name (certificateIssuer, RFC 5280 §5.3.3). */
export interface IndirectEntry {
  /** The DER name of the certificate issuer the entry belongs to. */
  readonly issuer: Uint8Array;
  /** The serial number, lower-case hex. */
  readonly serial: string;
  readonly entry: RevokedEntry;
}

/** issuingDistributionPoint (RFC 5280 §5.2.5). */
export interface IssuingDistributionPointValue {
  readonly fullNames: readonly GeneralNameValue[];
  readonly relativeName: Uint8Array | undefined;
  readonly onlyContainsUserCerts: boolean;
  readonly onlyContainsCACerts: boolean;
  readonly onlySomeReasons: Set<number> | undefined;
  readonly indirectCRL: boolean;
  readonly onlyContainsAttributeCerts: boolean;
}

/** A CRL read strictly from DER (RFC 5280 §5.1). Revoked serials are keyed by lower-case hex. */
export interface X509Crl {
  readonly der: Uint8Array;
  readonly tbsCertList: Uint8Array;
  readonly version: 1 | 2;
  readonly signature: AlgorithmIdentifierValue;
  readonly issuer: Uint8Array;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  /** Entries of certificates issued by the CRL issuer (those before any certificateIssuer entry extension). */
  readonly revoked: ReadonlyMap<string, RevokedEntry>;
  /** Entries after a certificateIssuer entry extension; only an indirect CRL may have them. */
  readonly indirectEntries: readonly IndirectEntry[];
  readonly extensions: readonly X509Extension[];
  readonly crlNumber: bigint | undefined;
  readonly issuingDistributionPoint: IssuingDistributionPointValue | undefined;
  readonly isDelta: boolean;
  /** A delta CRL's BaseCRLNumber (deltaCRLIndicator, RFC 5280 §5.2.4). */
  readonly baseCrlNumber: bigint | undefined;
  readonly signatureAlgorithm: AlgorithmIdentifierValue;
  readonly signatureValue: Uint8Array;
}

const KNOWN_CRL_EXTENSIONS = new Set<string>([
  OID.cRLNumber,
  OID.authorityKeyIdentifier,
  OID.issuingDistributionPoint,
  OID.deltaCRLIndicator,
  OID.issuerAltName,
]);

/** Parses a DER CRL. */
export function parseCrl(der: Uint8Array): X509Crl {
  const [tbs, signatureAlgorithm, signatureValue, extra] = children(readDer(der, 'CRL'), TAG.SEQUENCE, 'CRL');
  if (extra) throw new PkiError('ERR_DER_MALFORMED', 'CRL has fields after the signature');
  return {
    ...readTbsCertList(tbs),
    der,
    signatureAlgorithm: readAlgorithmIdentifier(signatureAlgorithm, 'signatureAlgorithm'),
    signatureValue: readBitStringBytes(signatureValue, 'signatureValue'),
  };
}

/** The fields of a TBSCertList, plus how many entries it listed (duplicates collapse in `revoked`). */
export type TbsCertListValue = Omit<X509Crl, 'der' | 'signatureAlgorithm' | 'signatureValue'> & {
  readonly entryCount: number;
};

/** Reads a TBSCertList (RFC 5280 §5.1.2). */
export function readTbsCertList(tbs: TlvObject | undefined): TbsCertListValue {
  const fields = children(tbs, TAG.SEQUENCE, 'TBSCertList');
  let index = 0;
  let version: 1 | 2 = 1;
  if (fields[0]?.tag === TAG.INTEGER) {
    if (readSmallInteger(fields[0], 'version') !== 1) throw new PkiError('ERR_DER_MALFORMED', 'CRL version is not v2');
    version = 2;
    index = 1;
  }
  const signature = readAlgorithmIdentifier(fields[index++], 'signature');
  const issuer = fields[index++];
  children(issuer, TAG.SEQUENCE, 'issuer');
  const thisUpdate = readTime(fields[index++], 'thisUpdate');
  let nextUpdate: Date | undefined;
  if (fields[index]?.tag === TAG.UTCTime || fields[index]?.tag === TAG.GeneralizedTime)
    nextUpdate = readTime(fields[index++], 'nextUpdate');
  const revoked = new Map<string, RevokedEntry>();
  const indirectEntries: IndirectEntry[] = [];
  let entryCount = 0;
  if (fields[index]?.tag === TAG.SEQUENCE) {
    // RFC 5280 §5.3.3: a certificateIssuer applies to its entry and every later one until the next.
    let certificateIssuer: Uint8Array | undefined;
    for (const item of children(fields[index++], TAG.SEQUENCE, 'revokedCertificates')) {
      entryCount++;
      const [serialField, date, entryExtensions, extra] = children(item, TAG.SEQUENCE, 'revoked certificate');
      if (extra) throw new PkiError('ERR_DER_MALFORMED', 'a revoked certificate entry has extra fields');
      const serial = bytesToHex(readInteger(serialField, 'userCertificate'));
      const { entry, issuer } = readEntry(date, entryExtensions);
      certificateIssuer = issuer ?? certificateIssuer;
      if (certificateIssuer) indirectEntries.push({ issuer: certificateIssuer, serial, entry });
      else revoked.set(serial, entry);
    }
  }
  let extensions: X509Extension[] = [];
  if (fields[index] && contextTag(fields[index]!) === 0) {
    // RFC 5280 §5.1.2.1: extensions make a CRL v2.
    if (version !== 2) throw new PkiError('ERR_DER_MALFORMED', 'a v1 CRL carries extensions');
    extensions = readExtensions(fields[index++]!);
  }
  if (fields[index]) throw new PkiError('ERR_DER_MALFORMED', 'TBSCertList has an unexpected field');
  const number = extensions.find((extension) => extension.oid === OID.cRLNumber);
  const idp = extensions.find((extension) => extension.oid === OID.issuingDistributionPoint);
  const delta = extensions.find((extension) => extension.oid === OID.deltaCRLIndicator);
  return {
    tbsCertList: tbs!.raw,
    version,
    entryCount,
    signature,
    issuer: issuer!.raw,
    thisUpdate,
    nextUpdate,
    revoked,
    indirectEntries,
    extensions,
    crlNumber: number ? readCrlNumber(number.value, 'cRLNumber') : undefined,
    issuingDistributionPoint: idp ? readIssuingDistributionPoint(idp.value) : undefined,
    isDelta: delta !== undefined,
    baseCrlNumber: delta ? readCrlNumber(delta.value, 'BaseCRLNumber') : undefined,
  };
}

/**
 * `true` when the CRL must not be used (RFC 5280 §5.2, §5.3): it carries a critical extension we do
 * not process, or entries under a certificateIssuer without being an indirect CRL.
 */
export function hasUnsupportedCriticalExtension(crl: X509Crl): boolean {
  const entries = [...crl.revoked.values(), ...crl.indirectEntries.map((item) => item.entry)];
  return (
    crl.extensions.some((extension) => extension.critical && !KNOWN_CRL_EXTENSIONS.has(extension.oid)) ||
    entries.some((entry) => entry.unsupportedCriticalExtension) ||
    (crl.indirectEntries.length > 0 && !crl.issuingDistributionPoint?.indirectCRL)
  );
}

/** A CRLNumber or BaseCRLNumber: a non-negative INTEGER (RFC 5280 §5.2.3). */
function readCrlNumber(value: Uint8Array, what: string): bigint {
  const bytes = readInteger(readDer(value, what), what);
  if (bytes[0]! >= 0x80) throw new PkiError('ERR_DER_MALFORMED', `${what} is negative`);
  return BigInt(`0x${bytesToHex(bytes)}`);
}

/** An entry no issuer name can match: a certificateIssuer with no directoryName. */
const NO_DIRECTORY_NAME = Uint8Array.of(0x30, 0x00);

function readEntry(
  date: TlvObject | undefined,
  extensionsObject: TlvObject | undefined,
): { entry: RevokedEntry; issuer: Uint8Array | undefined } {
  const revocationDate = readTime(date, 'revocationDate');
  let reason: number | undefined;
  let issuer: Uint8Array | undefined;
  let unsupportedCriticalExtension = false;
  if (extensionsObject) {
    for (const extension of readExtensionList(extensionsObject)) {
      if (extension.oid === OID.cRLReason) {
        const value = readDer(extension.value, 'reasonCode');
        if (value.tag !== TAG.ENUMERATED) throw new PkiError('ERR_DER_MALFORMED', 'reasonCode is not ENUMERATED');
        reason = readSmallInteger({ ...value, tag: TAG.INTEGER }, 'reasonCode');
      } else if (extension.oid === OID.certificateIssuer) {
        const names = children(readDer(extension.value, 'certificateIssuer'), TAG.SEQUENCE, 'certificateIssuer').map(
          readGeneralName,
        );
        const directory = names.find((name) => name.type === 'directoryName');
        issuer = directory?.type === 'directoryName' ? directory.value : NO_DIRECTORY_NAME;
      } else if (extension.critical && extension.oid !== OID.invalidityDate) {
        unsupportedCriticalExtension = true;
      }
    }
  }
  return { entry: { revocationDate, reason, unsupportedCriticalExtension }, issuer };
}

function readIssuingDistributionPoint(value: Uint8Array): IssuingDistributionPointValue {
  const result = {
    fullNames: [] as GeneralNameValue[],
    relativeName: undefined as Uint8Array | undefined,
    onlyContainsUserCerts: false,
    onlyContainsCACerts: false,
    onlySomeReasons: undefined as Set<number> | undefined,
    indirectCRL: false,
    onlyContainsAttributeCerts: false,
  };
  for (const field of children(readDer(value, 'issuingDistributionPoint'), TAG.SEQUENCE, 'issuingDistributionPoint')) {
    const flag = () => readBoolean({ ...field, tag: TAG.BOOLEAN }, 'issuingDistributionPoint flag');
    switch (field.tag) {
      case 0xa0:
        Object.assign(result, readDistributionPointName(field));
        break;
      case 0x81:
        result.onlyContainsUserCerts = flag();
        break;
      case 0x82:
        result.onlyContainsCACerts = flag();
        break;
      case 0x83:
        result.onlySomeReasons = readNamedBits({ ...field, tag: TAG.BIT_STRING }, 'onlySomeReasons');
        break;
      case 0x84:
        result.indirectCRL = flag();
        break;
      case 0x85:
        result.onlyContainsAttributeCerts = flag();
        break;
      default:
        throw new PkiError('ERR_DER_MALFORMED', 'issuingDistributionPoint has an unknown field');
    }
  }
  return result;
}
