import { encodeTlv } from '@openmyna/core';

import { cvCertificateContents, decodeCvCertificate } from './cv-certificate.js';
import { CardError } from './errors.js';

/**
 * The MF-level data objects, answered by GET DATA `00 CA P1 P2` with no AP (or the ISD) selected,
 * by tag (card-spec §0; soltia mf.rs names them).
 */
export const MF_DATA_OBJECT = {
  /** Issuer identification number: a 16-byte key ID. */
  issuerIdentificationNumber: 0x0042,
  /** Card identification number, ASCII. */
  cardIdentificationNumber: 0x0045,
  /** GlobalPlatform card recognition data (`66 { 73 … }`). */
  cardRecognitionData: 0x0066,
  /** 全国地方公共団体コード of the issuing municipality, 5 ASCII digits. */
  municipalityCode: 0x00f0,
  /** Expiry, 8 ASCII digits `YYYYMMDD`. */
  expiry: 0x00f2,
  /** Key ID of the intermediate: the 証明者鍵ID of the `7F21` object below. */
  intermediateKeyId: 0x00f7,
  /** CV certificate root → intermediate, the contents of its `7F21` template. */
  upperCvCertificate: 0x00f8,
  /** CV certificate intermediate → lower, the contents of its `7F21` template (absent on older cards). */
  lowerCvCertificate: 0x7f21,
  /** The contact ATR without its initial `3B`. */
  contactAtr: 0x5f51,
} as const;

/** What a card's (or phone's) MF-level data objects are made from. */
export interface MfDataObjectsInput {
  readonly municipalityCode: string;
  /** 有効期限, `YYYY-MM-DD`. */
  readonly expiry: string;
  /** The card identification number (ASCII). */
  readonly cardIdentificationNumber: string;
  readonly atr: Uint8Array;
  /** The CV certificate chain under the MF, as `7F21` objects: root → intermediate, then intermediate → lower. */
  readonly chain: { readonly upper: Uint8Array; readonly lower?: Uint8Array };
}

const ASCII_PRINTABLE = /^[\x20-\x7e]{1,32}$/;

/**
 * The MF-level data objects by tag (card-spec §0). `0042` is the chain root's key ID and `00F7` the
 * intermediate's, both as the `00F8` certificate names them; `00F8` and `7F21` are the certificates'
 * template contents (card-spec §3.7: GET DATA returns them without the `7F21` wrapper).
 *
 * @example
 * ```ts
 * const mfData = encodeMfDataObjects({ municipalityCode: '13221', expiry: '2035-02-17', cardIdentificationNumber,
 *   atr: CARD_ATR, chain: { upper, lower } });
 * new SmartCard({ applets, atr: CARD_ATR, mfData });
 * ```
 */
export function encodeMfDataObjects(input: MfDataObjectsInput): Map<number, Uint8Array> {
  if (!/^\d{5}$/.test(input.municipalityCode))
    throw new CardError('ERR_CARD_RECORD', 'the municipality code has 5 digits');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(input.expiry)) throw new CardError('ERR_CARD_RECORD', 'the expiry is YYYY-MM-DD');
  if (!ASCII_PRINTABLE.test(input.cardIdentificationNumber))
    throw new CardError('ERR_CARD_RECORD', 'the card identification number is 1–32 printable ASCII characters');
  const upper = decodeCvCertificate(input.chain.upper);
  const lower = input.chain.lower ? decodeCvCertificate(input.chain.lower) : undefined;
  // The chain links: the lower certificate is signed by the key the upper one certifies.
  if (lower && lower.issuerKeyId !== upper.subjectKeyId)
    throw new CardError('ERR_CARD_RECORD', 'the 7F21 certificate is not issued by the 00F8 certificate’s subject');
  const encoder = new TextEncoder();
  const objects = new Map<number, Uint8Array>([
    [MF_DATA_OBJECT.issuerIdentificationNumber, upper.body.slice(0, 16)],
    [MF_DATA_OBJECT.cardIdentificationNumber, encoder.encode(input.cardIdentificationNumber)],
    [MF_DATA_OBJECT.cardRecognitionData, encodeCardRecognitionData()],
    [MF_DATA_OBJECT.municipalityCode, encoder.encode(input.municipalityCode)],
    [MF_DATA_OBJECT.expiry, encoder.encode(input.expiry.replace(/-/g, ''))],
    [MF_DATA_OBJECT.intermediateKeyId, upper.body.slice(16, 32)],
    [MF_DATA_OBJECT.upperCvCertificate, cvCertificateContents(input.chain.upper)],
    [MF_DATA_OBJECT.contactAtr, input.atr.subarray(1)],
  ]);
  if (input.chain.lower) objects.set(MF_DATA_OBJECT.lowerCvCertificate, cvCertificateContents(input.chain.lower));
  return objects;
}

/** `1.2.840.114283` (GlobalPlatform), DER content octets. */
const GLOBAL_PLATFORM = [0x2a, 0x86, 0x48, 0x86, 0xfc, 0x6b];
const oid = (...arcs: number[]) => encodeTlv(0x06, Uint8Array.from([...GLOBAL_PLATFORM, ...arcs]));

/**
 * GlobalPlatform card recognition data (GlobalPlatform Card Specification v2.3.1 §H.2): `66 { 73 {
 * 06 {globalPlatform 1}, 60 { 06 {globalPlatform 2 2 2 1} }, 63 { 06 {globalPlatform 3} } } }` — card
 * recognition data, GlobalPlatform 2.2.1 card management, the GlobalPlatform card identification scheme.
 * No `64` (secure channel protocol): openmyna's ISD offers none.
 */
export function encodeCardRecognitionData(): Uint8Array {
  return encodeTlv(0x66, [
    encodeTlv(0x73, [oid(0x01), encodeTlv(0x60, oid(0x02, 0x02, 0x02, 0x01)), encodeTlv(0x63, oid(0x03))]),
  ]);
}
