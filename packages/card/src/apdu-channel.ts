import { encodeCommandApdu } from './command-apdu.js';
import { CardError } from './errors.js';
import { decodeResponseApdu, SW, type ResponseApdu } from './response-apdu.js';
import type { CardTransport } from './transport.js';

/** The outcome of VERIFY, as the card reported it. */
export type PinResult =
  | { readonly result: 'verified' }
  | { readonly result: 'wrong'; readonly triesLeft: number }
  | { readonly result: 'blocked' };

/**
 * The commands every reader-side AP client sends, over any transport. Errors name the command and
 * the status word, never the data sent.
 */
export class ApduChannel {
  readonly #transport: CardTransport;

  constructor(transport: CardTransport) {
    this.#transport = transport;
  }

  async send(command: Parameters<typeof encodeCommandApdu>[0]): Promise<ResponseApdu> {
    return decodeResponseApdu(await this.#transport.transmit(encodeCommandApdu(command)));
  }

  /** SELECT DF by name, no response data (`00 A4 04 0C`). */
  async selectApplication(aid: Uint8Array, name: string): Promise<void> {
    expectOk(await this.send({ cla: 0, ins: 0xa4, p1: 0x04, p2: 0x0c, data: aid }), `SELECT ${name}`);
  }

  /** SELECT EF by file identifier (`00 A4 02 0C 02 FID`). */
  async selectFile(fid: number): Promise<void> {
    expectOk(
      await this.send({ cla: 0, ins: 0xa4, p1: 0x02, p2: 0x0c, data: Uint8Array.of(fid >> 8, fid & 0xff) }),
      'SELECT EF',
    );
  }

  /** READ BINARY of the current EF; a short final chunk (6282) is data, not an error. */
  async readBinary(offset: number, length: number): Promise<Uint8Array> {
    const response = await this.send({ cla: 0, ins: 0xb0, p1: offset >> 8, p2: offset & 0xff, le: length });
    if (response.sw !== SW.OK && response.sw !== SW.END_OF_FILE) throw statusError('READ BINARY', response.sw);
    return response.data;
  }

  /** Reads `length` bytes from `offset` of the current EF in chunks of at most 256. */
  async readFully(offset: number, length: number, into: Uint8Array = new Uint8Array(length)): Promise<Uint8Array> {
    for (let done = 0; done < length;) {
      const chunk = await this.readBinary(offset + done, Math.min(256, length - done));
      if (chunk.length === 0) throw new CardError('ERR_CARD_STATUS', 'READ BINARY returned no data');
      into.set(chunk.subarray(0, length - done), done);
      done += chunk.length;
    }
    return into;
  }

  /** Selects an EF and reads the one BER-TLV object at its start: the header first, then exactly its length. */
  async readObjectFile(fid: number): Promise<Uint8Array> {
    await this.selectFile(fid);
    const head = await this.readBinary(0, 6);
    const lengthAt = (head[0]! & 0x1f) === 0x1f ? 2 : 1;
    const first = head[lengthAt] ?? 0;
    let headerLength = lengthAt + 1;
    let length = first;
    if (first & 0x80) {
      const count = first & 0x7f;
      if (count < 1 || count > 3)
        throw new CardError('ERR_CARD_STATUS', 'the EF does not start with a readable length');
      length = 0;
      for (let i = 1; i <= count; i++) length = length * 256 + (head[lengthAt + i] ?? 0);
      headerLength += count;
    }
    return this.readFully(0, headerLength + length);
  }

  /** VERIFY with data for the key reference `p2` (80 = current EF, 80|SFI). */
  async verify(p2: number, value: Uint8Array): Promise<PinResult> {
    const response = await this.send({ cla: 0, ins: 0x20, p1: 0x00, p2, data: value });
    if (response.sw === SW.OK) return { result: 'verified' };
    if (response.sw === SW.BLOCKED) return { result: 'blocked' };
    if ((response.sw & 0xfff0) === SW.WRONG_PIN) return { result: 'wrong', triesLeft: response.sw & 0x0f };
    throw statusError('VERIFY', response.sw);
  }
}

export function expectOk(response: ResponseApdu, command: string): Uint8Array {
  if (response.sw !== SW.OK) throw statusError(command, response.sw);
  return response.data;
}

export function statusError(command: string, sw: number): CardError {
  return new CardError('ERR_CARD_STATUS', `${command} answered ${sw.toString(16).toUpperCase().padStart(4, '0')}`);
}
