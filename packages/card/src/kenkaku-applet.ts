import { encodeTlv } from '@openmyna/core';

import { Applet, ALWAYS, verifiedAnyOf } from './applet.js';
import type { CardPrivateKey } from './card-private-key.js';
import { encodeKeyId } from './cv-certificate.js';
import type { RetryCounter } from './retry-counter.js';

/** 券面事項確認AP (card-spec §1.1). */
export const KENKAKU_AID = Uint8Array.of(0xd3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02);

/** Its EFs and key references (card-spec §1.4). */
export const KENKAKU_EF = {
  ageRecord: 0x0001,
  cardFace: 0x0002,
  basicData: 0x0003,
  cvCertificate: 0x0004,
  myNumberImage: 0x0005,
  unknown: 0x0006,
  birthDateKey: 0x0011,
  codeB: 0x0012,
  codeA: 0x0013,
} as const;

/** Options of {@link createKenkakuApplet}. */
export interface KenkakuAppletOptions {
  /** EF 0001 (`encodeAgeRecord`). */
  readonly ageRecord: Uint8Array;
  /** EF 0002 (`encodeCardFaceFile`). */
  readonly cardFaceFile: Uint8Array;
  /** EF 0005 (`encodeMyNumberImageRecord`). */
  readonly myNumberImageRecord: Uint8Array;
  /** EF 0004: the CV certificate of the key that signed the records. */
  readonly cvCertificate: Uint8Array;
  readonly signerKeyId: string;
  readonly municipalityCode: string;
  /** The AP's own key, whose public half the records carry; it signs challenges with no credential. */
  readonly cardKey: CardPrivateKey;
  /** 生年月日 key: 和暦 YYMMDD. */
  readonly birthDateKey: RetryCounter;
  readonly codeA: RetryCounter;
  /** 照合番号B; absent on a phone, which has no printed security code. */
  readonly codeB?: RetryCounter;
}

/**
 * The 券面事項確認AP: 照合番号A opens the card face (EF 0002) and the printed 個人番号 (0005); 照合番号B
 * the card face only; the birth-date key the age record (0001). EF 0003 and 0004 are free, and the AP's
 * own key answers `80 2A 00 00` with no credential, proving the card is present.
 */
export function createKenkakuApplet(options: KenkakuAppletOptions): Applet {
  const { birthDateKey, codeA, codeB } = KENKAKU_EF;
  return new Applet({
    name: '券面事項確認AP',
    aid: KENKAKU_AID,
    files: [
      { fid: KENKAKU_EF.ageRecord, content: options.ageRecord, read: verifiedAnyOf(birthDateKey) },
      { fid: KENKAKU_EF.cardFace, content: options.cardFaceFile, read: verifiedAnyOf(codeA, codeB) },
      { fid: KENKAKU_EF.basicData, content: basicData(options.signerKeyId, options.municipalityCode), read: ALWAYS },
      { fid: KENKAKU_EF.cvCertificate, content: options.cvCertificate, read: ALWAYS },
      { fid: KENKAKU_EF.myNumberImage, content: options.myNumberImageRecord, read: verifiedAnyOf(codeA) },
      // card-spec §1.4: 16 × FF of unknown meaning, behind 照合番号A or B.
      { fid: KENKAKU_EF.unknown, content: new Uint8Array(16).fill(0xff), read: verifiedAnyOf(codeA, codeB) },
    ],
    references: [
      { fid: birthDateKey, counter: options.birthDateKey },
      { fid: codeA, counter: options.codeA },
      ...(options.codeB ? [{ fid: codeB, counter: options.codeB }] : []),
    ],
    // P2 = 00 selects the AP's own key (card-spec §2.1: 80 2A 00 00, no credential).
    keys: [{ fid: 0, key: options.cardKey, use: ALWAYS }],
  });
}

/**
 * EF 0003 `FF30 { DF31 AP info, DF32 key ID, DF33 version, DF34 municipality code, DF35 key ID + 256
 * bytes }` (card-spec §3.5); DF35's last 256 bytes are opaque on real cards, zeros here.
 */
function basicData(signerKeyId: string, municipalityCode: string): Uint8Array {
  const keyId = encodeKeyId(signerKeyId);
  return encodeTlv(0xff30, [
    encodeTlv(0xdf31, Uint8Array.of(0x06, 0x03, 0x0e, 0x01)),
    encodeTlv(0xdf32, keyId),
    encodeTlv(0xdf33, Uint8Array.of(0x01)),
    encodeTlv(0xdf34, new TextEncoder().encode(municipalityCode)),
    encodeTlv(0xdf35, new Uint8Array([...keyId, ...new Uint8Array(256)])),
  ]);
}
