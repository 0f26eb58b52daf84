import { encodeTlv } from '@openmyna/core';

import { Applet, ALWAYS, verifiedAnyOf } from './applet.js';
import { encodeKeyId } from './cv-certificate.js';
import { isValidFourDigitPin } from './jpki-applet.js';
import { protectPin, RetryCounter, type RetryCounterStore } from './retry-counter.js';

/** 券面事項入力補助AP (card-spec §1.1). */
export const KENHOJO_AID = Uint8Array.of(0xd3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08);

/** Its EFs and key references (card-spec §1.3). */
export const KENHOJO_EF = {
  myNumber: 0x0001,
  basicFourInfo: 0x0002,
  integrityRecord: 0x0003,
  cvCertificate: 0x0004,
  basicData: 0x0005,
  pin: 0x0011,
  blockedKey: 0x0012,
  codeA: 0x0014,
  codeB: 0x0015,
} as const;

/** Options of {@link createKenhojoApplet}. */
export interface KenhojoAppletOptions {
  /** EF 0001, 17 bytes (`encodeMyNumberFile`). */
  readonly myNumberFile: Uint8Array;
  /** EF 0002 (`encodeBasicFourInfoFile`). */
  readonly basicFourInfoFile: Uint8Array;
  /** EF 0003 (`encodeIntegrityRecord`). */
  readonly integrityRecord: Uint8Array;
  /** EF 0004: the CV certificate of the key that signed EF 0003. */
  readonly cvCertificate: Uint8Array;
  /** The printed ID of that key, for EF 0005. */
  readonly signerKeyId: string;
  /** 券面事項入力補助用暗証番号: 4 digits, 3 tries. */
  readonly pin: RetryCounter;
  /** 照合番号A: the 12-digit 個人番号. */
  readonly codeA: RetryCounter;
  /**
   * 照合番号B: 和暦 birth date YYMMDD + expiry year + security code, 14 digits. Absent on a phone, which
   * has no printed security code: VERIFY of 0015 then answers 6A88 like any unknown reference.
   */
  readonly codeB?: RetryCounter;
  readonly onReferenceChanged?: () => Promise<void>;
}

/**
 * The 券面事項入力補助AP with the three access paths of DESIGN.md: the 4-digit PIN opens EF 0001,
 * 0002 and 0003; 照合番号A opens 0001 and 0003; 照合番号B opens 0002 and 0003. EF 0004 and 0005 are
 * free; key reference 0012 is blocked, as on every card examined. Deliberately absent (card-spec
 * §1.3): secure messaging (EF 0006's session key, EF 0007's signed AP key and its key 0013, `SET
 * SESSION KEY`), which the phone does not offer, and EF 0008 (16 × FF, access unknown on the card).
 */
export function createKenhojoApplet(options: KenhojoAppletOptions): Applet {
  const { pin, codeA, codeB } = KENHOJO_EF;
  return new Applet({
    name: '券面事項入力補助AP',
    aid: KENHOJO_AID,
    files: [
      { fid: KENHOJO_EF.myNumber, content: options.myNumberFile, read: verifiedAnyOf(pin, codeA) },
      { fid: KENHOJO_EF.basicFourInfo, content: options.basicFourInfoFile, read: verifiedAnyOf(pin, codeB) },
      { fid: KENHOJO_EF.integrityRecord, content: options.integrityRecord, read: verifiedAnyOf(pin, codeA, codeB) },
      { fid: KENHOJO_EF.cvCertificate, content: options.cvCertificate, read: ALWAYS },
      { fid: KENHOJO_EF.basicData, content: basicData(options.signerKeyId), read: ALWAYS },
    ],
    references: [
      { fid: pin, counter: options.pin, acceptsNewValue: isValidFourDigitPin },
      // card-spec §1.3: a key reference blocked on every card examined (VERIFY query 63C0, VERIFY 6984).
      { fid: KENHOJO_EF.blockedKey, counter: BLOCKED_KEY },
      { fid: codeA, counter: options.codeA },
      ...(options.codeB ? [{ fid: codeB, counter: options.codeB }] : []),
    ],
    ...(options.onReferenceChanged ? { onReferenceChanged: options.onReferenceChanged } : {}),
  });
}

/** Its counter reads 0 forever and is never written: nothing is ever compared. */
const ALWAYS_BLOCKED: RetryCounterStore = {
  read: () => Promise.resolve(0),
  write: () => Promise.reject(new Error('a blocked reference is never written')),
};
const BLOCKED_KEY = new RetryCounter({
  reference: 'kenhojo/0012',
  maxTries: 3,
  pin: protectPin(new Uint8Array(32), new Uint8Array(16)),
  store: ALWAYS_BLOCKED,
});

/**
 * EF 0005 `FF40 { DF41 AP info, DF42 key ID, DF43 128 bytes }` (card-spec §3.4). DF43's meaning is
 * unknown; we write 32 zero bytes and 96 × FF, the shape seen on cards.
 */
function basicData(signerKeyId: string): Uint8Array {
  const unknown = new Uint8Array(128).fill(0xff);
  unknown.fill(0, 0, 32);
  return encodeTlv(0xff40, [
    encodeTlv(0xdf41, Uint8Array.of(0x01, 0x03, 0x0e, 0x01)),
    encodeTlv(0xdf42, encodeKeyId(signerKeyId)),
    encodeTlv(0xdf43, unknown),
  ]);
}
