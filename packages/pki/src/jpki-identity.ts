import { parseJpkiBirthDate, validateBasicFourInfo, type BasicFourInfo, type Era } from '@openmyna/core';

import { children, readDer, readOid, TAG } from './der-reader.js';
import { PkiError } from './errors.js';
import { OID } from './oids.js';
import { findExtension, type X509Certificate } from './x509-certificate.js';

/** What a JPKI signing certificate says about its holder (card-spec §4.3). */
export interface JpkiIdentity {
  readonly basicFourInfo: BasicFourInfo;
  /** The era digit of the birth date (`undefined` for 0, 不明). */
  readonly birthDateEra: Era | undefined;
  /** One `0`/`1` per character of the name: `1` where an alternative (外字 substitute) character stands. */
  readonly nameSubstitutePositions: string;
  readonly addressSubstitutePositions: string;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

const ENTRIES = [
  OID.jpkiName,
  OID.jpkiNameSubstitutePositions,
  OID.jpkiSex,
  OID.jpkiBirthDate,
  OID.jpkiAddress,
  OID.jpkiAddressSubstitutePositions,
] as const;

/**
 * Reads the holder's 4 info from a JPKI signing certificate's subjectAltName: six otherName entries
 * `[0] { type-id, [0] EXPLICIT UTF8String }` (1.2.392.200149.8.5.5.1–.6), each exactly once, in any
 * order; other GeneralNames are not expected. The values are checked as the registry checks them.
 * Throws `ERR_JPKI_IDENTITY` (or `ERR_DER_MALFORMED`) — an authentication certificate has none.
 */
export function readJpkiIdentity(certificate: X509Certificate): JpkiIdentity {
  const extension = findExtension(certificate, OID.subjectAltName);
  if (!extension)
    throw new PkiError(
      'ERR_JPKI_IDENTITY',
      'the certificate carries no subjectAltName (not a JPKI signing certificate)',
    );
  const values = new Map<string, string>();
  for (const name of children(readDer(extension.value, 'subjectAltName'), TAG.SEQUENCE, 'subjectAltName')) {
    // otherName is [0] IMPLICIT OtherName: constructed, context 0.
    const [typeId, explicit, extra] = children(name, 0xa0, 'subjectAltName otherName');
    const oid = readOid(typeId, 'otherName type-id');
    const [value, more] = children(explicit, 0xa0, `otherName ${oid} value`);
    if (extra || more || value?.tag !== TAG.UTF8String)
      throw new PkiError('ERR_JPKI_IDENTITY', `otherName ${oid} is not one [0] EXPLICIT UTF8String`);
    if (!(ENTRIES as readonly string[]).includes(oid))
      throw new PkiError('ERR_JPKI_IDENTITY', `subjectAltName carries an unexpected otherName ${oid}`);
    if (values.has(oid)) throw new PkiError('ERR_JPKI_IDENTITY', `subjectAltName carries ${oid} twice`);
    let text: string;
    try {
      text = strictUtf8.decode(value.value);
    } catch (error) {
      throw new PkiError('ERR_JPKI_IDENTITY', `otherName ${oid} is not UTF-8`, { cause: error });
    }
    values.set(oid, text);
  }
  const missing = ENTRIES.filter((oid) => !values.has(oid));
  if (missing.length > 0)
    throw new PkiError(
      'ERR_JPKI_IDENTITY',
      `subjectAltName lacks ${missing.join(', ')} (not a JPKI signing certificate)`,
    );
  const get = (oid: string) => values.get(oid) as string;
  try {
    const birth = parseJpkiBirthDate(get(OID.jpkiBirthDate));
    const basicFourInfo = validateBasicFourInfo({
      name: get(OID.jpkiName),
      address: get(OID.jpkiAddress),
      birthDate: birth.date,
      sex: get(OID.jpkiSex),
    });
    const positions = (oid: string, of: string) => {
      const text = get(oid);
      if (!/^[01]*$/.test(text) || text.length !== [...of].length)
        throw new PkiError('ERR_JPKI_IDENTITY', `${oid} does not have one 0/1 per character`);
      return text;
    };
    return {
      basicFourInfo,
      birthDateEra: birth.era,
      nameSubstitutePositions: positions(OID.jpkiNameSubstitutePositions, basicFourInfo.name),
      addressSubstitutePositions: positions(OID.jpkiAddressSubstitutePositions, basicFourInfo.address),
    };
  } catch (error) {
    if (error instanceof PkiError) throw error;
    // core's messages name the field and never echo the value.
    throw new PkiError('ERR_JPKI_IDENTITY', `the JPKI identity is not valid: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
