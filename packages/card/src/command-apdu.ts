import { CardError } from './errors.js';

/**
 * A command APDU (ISO/IEC 7816-4 §5.1). `le` is the number of bytes expected (1–256 short, 1–65536
 * extended), or `undefined` when absent.
 */
export interface CommandApdu {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  readonly data: Uint8Array;
  readonly le: number | undefined;
  /** Whether Lc/Le use the extended (three- or two-byte) form. */
  readonly extended: boolean;
}

const EMPTY = new Uint8Array(0);

/**
 * Decodes any of the seven APDU cases of ISO/IEC 7816-4 §5.1 (1, 2S, 3S, 4S, 2E, 3E, 4E); anything
 * else is `ERR_APDU_LENGTH`. Short Le `00` means 256 and extended Le `0000` means 65536.
 *
 * @example
 * ```ts
 * decodeCommandApdu(hexToBytes('00b08a0000')); // READ BINARY, SFI 0A, Le 256
 * ```
 */
export function decodeCommandApdu(bytes: Uint8Array): CommandApdu {
  if (bytes.length < 4) throw new CardError('ERR_APDU_LENGTH', 'a command APDU has at least 4 bytes');
  const [cla, ins, p1, p2] = bytes as unknown as [number, number, number, number];
  const header = { cla, ins, p1, p2 };
  if (bytes.length === 4) return { ...header, data: EMPTY, le: undefined, extended: false };
  const b4 = bytes[4]!;
  if (bytes.length === 5) return { ...header, data: EMPTY, le: b4 === 0 ? 256 : b4, extended: false };
  if (b4 !== 0) {
    const end = 5 + b4;
    if (bytes.length === end) return { ...header, data: bytes.subarray(5, end), le: undefined, extended: false };
    if (bytes.length === end + 1) {
      const le = bytes[end]!;
      return { ...header, data: bytes.subarray(5, end), le: le === 0 ? 256 : le, extended: false };
    }
    throw new CardError('ERR_APDU_LENGTH', 'the length of the APDU does not match Lc');
  }
  if (bytes.length < 7) throw new CardError('ERR_APDU_LENGTH', 'an extended length field has 3 bytes');
  const length = (bytes[5]! << 8) | bytes[6]!;
  if (bytes.length === 7) return { ...header, data: EMPTY, le: length === 0 ? 65536 : length, extended: true };
  if (length === 0) throw new CardError('ERR_APDU_LENGTH', 'an extended Lc of 0 is not allowed');
  const end = 7 + length;
  if (bytes.length === end) return { ...header, data: bytes.subarray(7, end), le: undefined, extended: true };
  if (bytes.length === end + 2) {
    const le = (bytes[end]! << 8) | bytes[end + 1]!;
    return { ...header, data: bytes.subarray(7, end), le: le === 0 ? 65536 : le, extended: true };
  }
  throw new CardError('ERR_APDU_LENGTH', 'the length of the extended APDU does not match Lc');
}

/**
 * Encodes a command APDU, choosing the short form when data ≤ 255 bytes and Le ≤ 256 unless
 * `extended` asks otherwise.
 */
export function encodeCommandApdu(apdu: {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data?: Uint8Array;
  le?: number | undefined;
  extended?: boolean;
}): Uint8Array {
  for (const [name, value] of [
    ['CLA', apdu.cla],
    ['INS', apdu.ins],
    ['P1', apdu.p1],
    ['P2', apdu.p2],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 0xff)
      throw new CardError('ERR_APDU_FIELD', `${name} is not a byte`);
  }
  const data = apdu.data ?? EMPTY;
  const le = apdu.le;
  if (data.length > 65535) throw new CardError('ERR_APDU_FIELD', 'command data is longer than 65535 bytes');
  if (le !== undefined && (!Number.isInteger(le) || le < 1 || le > 65536)) {
    throw new CardError('ERR_APDU_FIELD', 'Le is 1 to 65536');
  }
  const extended = apdu.extended ?? (data.length > 255 || (le ?? 0) > 256);
  const out: number[] = [apdu.cla, apdu.ins, apdu.p1, apdu.p2];
  if (!extended) {
    if (data.length > 255 || (le ?? 0) > 256)
      throw new CardError('ERR_APDU_FIELD', 'the short form holds 255 data bytes and Le 256');
    if (data.length > 0) out.push(data.length, ...data);
    if (le !== undefined) out.push(le === 256 ? 0 : le);
    return Uint8Array.from(out);
  }
  if (data.length > 0) out.push(0, data.length >> 8, data.length & 0xff, ...data);
  if (le !== undefined) {
    const value = le === 65536 ? 0 : le;
    if (data.length === 0) out.push(0);
    out.push(value >> 8, value & 0xff);
  }
  if (data.length === 0 && le === undefined) throw new CardError('ERR_APDU_FIELD', 'an extended APDU needs data or Le');
  return Uint8Array.from(out);
}
