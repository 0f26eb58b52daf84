import { CardError } from './errors.js';

/** A response APDU: data and the status word SW1-SW2 (ISO/IEC 7816-4 §5.1.3). */
export interface ResponseApdu {
  readonly data: Uint8Array;
  readonly sw: number;
}

/** Status words the card answers with (ISO/IEC 7816-4 §5.1.3, as observed on the card, card-spec §2.2). */
export const SW = {
  OK: 0x9000,
  /** 63Cx: wrong verification data, x tries left (63C0 on the try that blocks). */
  WRONG_PIN: 0x63c0,
  END_OF_FILE: 0x6282,
  WRONG_LENGTH: 0x6700,
  CHANNEL_NOT_SUPPORTED: 0x6881,
  SECURE_MESSAGING_NOT_SUPPORTED: 0x6882,
  INCOMPATIBLE_FILE: 0x6981,
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  /** 6984: referenced data (the PIN) is blocked. */
  BLOCKED: 0x6984,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  WRONG_DATA: 0x6a80,
  FILE_NOT_FOUND: 0x6a82,
  RECORD_NOT_FOUND: 0x6a83,
  WRONG_P1P2: 0x6a86,
  DATA_OBJECT_NOT_FOUND: 0x6a88,
  WRONG_OFFSET: 0x6b00,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  NO_PRECISE_DIAGNOSIS: 0x6f00,
} as const;

/** `63Cx` for `tries` left. */
export function wrongPin(tries: number): number {
  return SW.WRONG_PIN | Math.max(0, Math.min(15, tries));
}

export function encodeResponseApdu(response: ResponseApdu): Uint8Array {
  const out = new Uint8Array(response.data.length + 2);
  out.set(response.data);
  out[response.data.length] = response.sw >> 8;
  out[response.data.length + 1] = response.sw & 0xff;
  return out;
}

export function decodeResponseApdu(bytes: Uint8Array): ResponseApdu {
  if (bytes.length < 2) throw new CardError('ERR_RESPONSE_APDU', 'a response APDU has at least the two status bytes');
  return { data: bytes.subarray(0, bytes.length - 2), sw: (bytes[bytes.length - 2]! << 8) | bytes[bytes.length - 1]! };
}

/** A response carrying only a status word. */
export function status(sw: number): ResponseApdu {
  return { data: new Uint8Array(0), sw };
}
