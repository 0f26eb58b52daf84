import { encodeCommandApdu } from './command-apdu.js';
import { CardError } from './errors.js';
import { JPKI_AID, JPKI_EF } from './jpki-applet.js';
import { decodeResponseApdu, SW, type ResponseApdu } from './response-apdu.js';
import type { CardTransport } from './transport.js';

/** The JPKI-AP's certificates, as a reader asks for them. */
export type JpkiCertificateName = 'signing' | 'signing-ca' | 'authentication' | 'authentication-ca';

/** The two JPKI secrets. */
export type JpkiSecret = 'authentication' | 'signing';

/** The outcome of VERIFY, as the card reported it. */
export type PinResult =
  | { readonly result: 'verified' }
  | { readonly result: 'wrong'; readonly triesLeft: number }
  | { readonly result: 'blocked' };

const CERTIFICATE_EF: Record<JpkiCertificateName, number> = {
  signing: JPKI_EF.signingCertificate,
  'signing-ca': JPKI_EF.signingCaCertificate,
  authentication: JPKI_EF.authenticationCertificate,
  'authentication-ca': JPKI_EF.authenticationCaCertificate,
};
const SECRET_EF: Record<JpkiSecret, number> = {
  authentication: JPKI_EF.authenticationPin,
  signing: JPKI_EF.signingPassword,
};
const KEY_EF: Record<JpkiSecret, number> = { authentication: JPKI_EF.authenticationKey, signing: JPKI_EF.signingKey };

/**
 * The reader side of the JPKI-AP: the APDUs JPKI software sends (card-spec §2.1), with typed results.
 * Secrets go to the card and nowhere else; error messages name commands and status words only.
 *
 * @example
 * ```ts
 * const jpki = new JpkiReader(transport);
 * await jpki.select();
 * const certificate = await jpki.readCertificate('authentication');
 * await jpki.verifyPin('authentication', '1234');
 * const signature = await jpki.sign('authentication', digestInfo);
 * ```
 */
export class JpkiReader {
  readonly #transport: CardTransport;

  constructor(transport: CardTransport) {
    this.#transport = transport;
  }

  async select(): Promise<void> {
    expectOk(await this.#send({ cla: 0, ins: 0xa4, p1: 0x04, p2: 0x0c, data: JPKI_AID }), 'SELECT JPKI-AP');
  }

  /** The token label of EF 0006 (`JPKIAPICCTOKEN2` on a card). */
  async tokenLabel(): Promise<string> {
    await this.#selectFile(JPKI_EF.tokenInfo);
    const data = expectOk(await this.#read(0, 32), 'READ BINARY token info');
    return new TextDecoder().decode(data).trimEnd();
  }

  /** A certificate's DER, read in chunks by the length its header gives. */
  async readCertificate(name: JpkiCertificateName): Promise<Uint8Array> {
    await this.#selectFile(CERTIFICATE_EF[name]);
    const header = expectOk(await this.#read(0, 4), 'READ BINARY certificate header');
    if (header[0] !== 0x30 || header[1] !== 0x82)
      throw new CardError('ERR_CARD_STATUS', 'the EF does not start with a DER certificate');
    const total = 4 + ((header[2]! << 8) | header[3]!);
    const out = new Uint8Array(total);
    out.set(header);
    for (let offset = 4; offset < total;) {
      const chunk = expectOk(await this.#read(offset, Math.min(256, total - offset)), 'READ BINARY certificate');
      if (chunk.length === 0) throw new CardError('ERR_CARD_STATUS', 'READ BINARY returned no data');
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  /** Tries left, from VERIFY with no data (uses no try). */
  async triesLeft(secret: JpkiSecret): Promise<number> {
    await this.#selectFile(SECRET_EF[secret]);
    const response = await this.#send({ cla: 0, ins: 0x20, p1: 0x00, p2: 0x80 });
    if ((response.sw & 0xfff0) === SW.WRONG_PIN) return response.sw & 0x0f;
    if (response.sw === SW.BLOCKED) return 0;
    throw statusError('VERIFY (status)', response.sw);
  }

  async verifyPin(secret: JpkiSecret, value: string): Promise<PinResult> {
    if (!/^[\x20-\x7e]{1,16}$/.test(value))
      throw new CardError('ERR_PIN_FORMAT', 'a PIN or password is 1 to 16 printable ASCII characters');
    await this.#selectFile(SECRET_EF[secret]);
    const response = await this.#send({ cla: 0, ins: 0x20, p1: 0x00, p2: 0x80, data: new TextEncoder().encode(value) });
    if (response.sw === SW.OK) return { result: 'verified' };
    if (response.sw === SW.BLOCKED) return { result: 'blocked' };
    if ((response.sw & 0xfff0) === SW.WRONG_PIN) return { result: 'wrong', triesLeft: response.sw & 0x0f };
    throw statusError('VERIFY', response.sw);
  }

  /** CHANGE REFERENCE DATA after a successful {@link verifyPin} in this session. */
  async changePin(secret: JpkiSecret, newValue: string): Promise<void> {
    await this.#selectFile(SECRET_EF[secret]);
    expectOk(
      await this.#send({ cla: 0, ins: 0x24, p1: 0x01, p2: 0x80, data: new TextEncoder().encode(newValue) }),
      'CHANGE REFERENCE DATA',
    );
  }

  /** `80 2A 00 80`: PKCS#1 v1.5 over a DigestInfo the caller built (card-spec §2.1). */
  async sign(secret: JpkiSecret, digestInfo: Uint8Array): Promise<Uint8Array> {
    await this.#selectFile(KEY_EF[secret]);
    return expectOk(
      await this.#send({ cla: 0x80, ins: 0x2a, p1: 0x00, p2: 0x80, data: digestInfo, le: 256 }),
      'COMPUTE DIGITAL SIGNATURE',
    );
  }

  async #selectFile(fid: number): Promise<void> {
    expectOk(
      await this.#send({ cla: 0, ins: 0xa4, p1: 0x02, p2: 0x0c, data: Uint8Array.of(fid >> 8, fid & 0xff) }),
      'SELECT EF',
    );
  }

  #read(offset: number, length: number): Promise<ResponseApdu> {
    return this.#send({ cla: 0, ins: 0xb0, p1: offset >> 8, p2: offset & 0xff, le: length });
  }

  async #send(command: Parameters<typeof encodeCommandApdu>[0]): Promise<ResponseApdu> {
    return decodeResponseApdu(await this.#transport.transmit(encodeCommandApdu(command)));
  }
}

function expectOk(response: ResponseApdu, command: string): Uint8Array {
  if (response.sw !== SW.OK) throw statusError(command, response.sw);
  return response.data;
}

function statusError(command: string, sw: number): CardError {
  return new CardError('ERR_CARD_STATUS', `${command} answered ${sw.toString(16).toUpperCase().padStart(4, '0')}`);
}
