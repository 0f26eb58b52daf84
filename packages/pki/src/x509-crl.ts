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
  /** A critical entry extension we do not process (e.g. certificateIssuer): the CRL is unusable. */
  readonly unsupportedCriticalExtension: boolean;
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
  readonly revoked: ReadonlyMap<string, RevokedEntry>;
  readonly extensions: readonly X509Extension[];
  readonly crlNumber: bigint | undefined;
  readonly issuingDistributionPoint: IssuingDistributionPointValue | undefined;
  readonly isDelta: boolean;
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
  let entryCount = 0;
  if (fields[index]?.tag === TAG.SEQUENCE) {
    for (const entry of children(fields[index++], TAG.SEQUENCE, 'revokedCertificates')) {
      entryCount++;
      const [serial, date, entryExtensions] = children(entry, TAG.SEQUENCE, 'revoked certificate');
      revoked.set(bytesToHex(readInteger(serial, 'userCertificate')), readEntry(date, entryExtensions));
    }
  }
  let extensions: X509Extension[] = [];
  if (fields[index] && contextTag(fields[index]!) === 0) extensions = readExtensions(fields[index++]!);
  if (fields[index]) throw new PkiError('ERR_DER_MALFORMED', 'TBSCertList has an unexpected field');
  const number = extensions.find((extension) => extension.oid === OID.cRLNumber);
  const idp = extensions.find((extension) => extension.oid === OID.issuingDistributionPoint);
  return {
    tbsCertList: tbs!.raw,
    version,
    entryCount,
    signature,
    issuer: issuer!.raw,
    thisUpdate,
    nextUpdate,
    revoked,
    extensions,
    crlNumber: number
      ? BigInt(`0x${bytesToHex(readInteger(readDer(number.value, 'cRLNumber'), 'cRLNumber'))}`)
      : undefined,
    issuingDistributionPoint: idp ? readIssuingDistributionPoint(idp.value) : undefined,
    isDelta: extensions.some((extension) => extension.oid === OID.deltaCRLIndicator),
  };
}

/** `true` when the CRL carries a critical extension we do not process (RFC 5280 §5.2: then it must not be used). */
export function hasUnsupportedCriticalExtension(crl: X509Crl): boolean {
  return (
    crl.extensions.some((extension) => extension.critical && !KNOWN_CRL_EXTENSIONS.has(extension.oid)) ||
    [...crl.revoked.values()].some((entry) => entry.unsupportedCriticalExtension)
  );
}

function readEntry(date: TlvObject | undefined, extensionsObject: TlvObject | undefined): RevokedEntry {
  const revocationDate = readTime(date, 'revocationDate');
  let reason: number | undefined;
  let unsupportedCriticalExtension = false;
  if (extensionsObject) {
    for (const extension of readExtensionList(extensionsObject)) {
      if (extension.oid === OID.cRLReason) {
        const value = readDer(extension.value, 'reasonCode');
        if (value.tag !== TAG.ENUMERATED) throw new PkiError('ERR_DER_MALFORMED', 'reasonCode is not ENUMERATED');
        reason = readSmallInteger({ ...value, tag: TAG.INTEGER }, 'reasonCode');
      } else if (extension.critical && extension.oid !== '2.5.29.24') {
        unsupportedCriticalExtension = true;
      }
    }
  }
  return { revocationDate, reason, unsupportedCriticalExtension };
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
