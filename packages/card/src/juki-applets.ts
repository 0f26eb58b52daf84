import { encodeTlv } from '@openmyna/core';

import { Applet, ALWAYS, verifiedAnyOf } from './applet.js';
import { CardError } from './errors.js';
import { isValidFourDigitPin } from './jpki-applet.js';
import type { RetryCounter } from './retry-counter.js';

/** 住基AP (card-spec §1.1). */
export const JUKI_AID = Uint8Array.of(0xd3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x01);
/** 共通カードAP (本人確認業務用領域) (card-spec §1.1). */
export const COMMON_CARD_AID = Uint8Array.of(0xd3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x01, 0x00);

/** EFs of both APs: the 4-digit PIN is EF 001C in each, separate references (card-spec §1.5). */
export const JUKI_EF = { residentCode: 0x0001, keyReference: 0x0002, pin: 0x001c } as const;
export const COMMON_CARD_EF = { cardRecord: 0x0001, keyReference: 0x0002, pin: 0x001c } as const;

/**
 * The 住基AP: the 住民票コード behind the 住民基本台帳用暗証番号 (4 digits, 3 tries), changed with
 * CHANGE KEY. Where the real card keeps the code is not documented (card-spec §1.5); openmyna stores it
 * in EF 0001 as `FF 10 0B` + 11 ASCII digits, mirroring the 個人番号 EF — our own layout.
 */
export function createJukiApplet(options: {
  residentCode: string;
  pin: RetryCounter;
  onReferenceChanged?: () => Promise<void>;
}): Applet {
  if (!/^\d{11}$/.test(options.residentCode)) throw new CardError('ERR_CARD_RECORD', 'a 住民票コード has 11 digits');
  return new Applet({
    name: '住基AP',
    aid: JUKI_AID,
    files: [
      {
        fid: JUKI_EF.residentCode,
        content: encodeTlv(0xff10, new TextEncoder().encode(options.residentCode)),
        read: verifiedAnyOf(JUKI_EF.pin),
      },
      { fid: JUKI_EF.keyReference, content: new Uint8Array(16), read: ALWAYS },
    ],
    references: [{ fid: JUKI_EF.pin, counter: options.pin, acceptsNewValue: isValidFourDigitPin }],
    changeWithChangeKey: true,
    ...(options.onReferenceChanged ? { onReferenceChanged: options.onReferenceChanged } : {}),
  });
}

/**
 * The 共通カードAP: record 1 of EF 0001 is the simple-TLV `01 1C` + 28 ASCII digits: card serial (15),
 * municipality code (5), expiry `YYYYMMDD` (card-spec §1.5), read with READ RECORD `00 B2 01 04`.
 */
export function createCommonCardApplet(options: {
  serial: string;
  municipalityCode: string;
  expiry: string;
  pin: RetryCounter;
  onReferenceChanged?: () => Promise<void>;
}): Applet {
  const digits = options.serial + options.municipalityCode + options.expiry;
  if (!/^\d{28}$/.test(digits))
    throw new CardError('ERR_CARD_RECORD', 'serial (15) + municipality (5) + expiry (8) are 28 digits');
  return new Applet({
    name: '共通カードAP',
    aid: COMMON_CARD_AID,
    files: [
      {
        fid: COMMON_CARD_EF.cardRecord,
        content: new Uint8Array(0),
        records: [Uint8Array.of(0x01, 0x1c, ...new TextEncoder().encode(digits))],
        read: ALWAYS,
      },
      { fid: COMMON_CARD_EF.keyReference, content: new Uint8Array(16), read: ALWAYS },
    ],
    references: [{ fid: COMMON_CARD_EF.pin, counter: options.pin, acceptsNewValue: isValidFourDigitPin }],
    changeWithChangeKey: true,
    ...(options.onReferenceChanged ? { onReferenceChanged: options.onReferenceChanged } : {}),
  });
}

/** Reads record 1 of the 共通カードAP. */
export function decodeCommonCardRecord(record: Uint8Array): {
  serial: string;
  municipalityCode: string;
  expiry: string;
} {
  const text = String.fromCharCode(...record.subarray(2));
  if (record[0] !== 0x01 || record[1] !== 0x1c || !/^\d{28}$/.test(text))
    throw new CardError('ERR_CARD_RECORD', 'not a 共通カードAP record');
  return { serial: text.slice(0, 15), municipalityCode: text.slice(15, 20), expiry: text.slice(20) };
}
