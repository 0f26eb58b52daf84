import { ApduChannel, expectOk, statusError, type PinResult } from './apdu-channel.js';
import { CardError } from './errors.js';
import { JPKI_AID, JPKI_EF } from './jpki-applet.js';
import { SW } from './response-apdu.js';
import type { CardTransport } from './transport.js';

/** The JPKI-AP's certificates, as a reader asks for them. */
export type JpkiCertificateName = 'signing' | 'signing-ca' | 'authentication' | 'authentication-ca';

/** The two JPKI secrets. */
export type JpkiSecret = 'authentication' | 'signing';

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
 * Secrets go to the card and nowhere else.
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
  readonly #channel: ApduChannel;

  constructor(transport: CardTransport) {
    this.#channel = new ApduChannel(transport);
  }

  select(): Promise<void> {
    return this.#channel.selectApplication(JPKI_AID, 'JPKI-AP');
  }

  /** The token label of EF 0006 (`JPKIAPICCTOKEN2` on a card). */
  async tokenLabel(): Promise<string> {
    await this.#channel.selectFile(JPKI_EF.tokenInfo);
    return new TextDecoder().decode(await this.#channel.readFully(0, 32)).trimEnd();
  }

  /** A certificate's DER, read by the length its header gives. */
  async readCertificate(name: JpkiCertificateName): Promise<Uint8Array> {
    await this.#channel.selectFile(CERTIFICATE_EF[name]);
    const header = await this.#channel.readFully(0, 4);
    if (header[0] !== 0x30 || header[1] !== 0x82)
      throw new CardError('ERR_CARD_STATUS', 'the EF does not start with a DER certificate');
    const out = new Uint8Array(4 + ((header[2]! << 8) | header[3]!));
    out.set(header);
    await this.#channel.readFully(4, out.length - 4, out.subarray(4));
    return out;
  }

  /** Tries left, from VERIFY with no data (uses no try). */
  async triesLeft(secret: JpkiSecret): Promise<number> {
    await this.#channel.selectFile(SECRET_EF[secret]);
    const response = await this.#channel.send({ cla: 0, ins: 0x20, p1: 0x00, p2: 0x80 });
    if ((response.sw & 0xfff0) === SW.WRONG_PIN) return response.sw & 0x0f;
    if (response.sw === SW.BLOCKED) return 0;
    throw statusError('VERIFY (status)', response.sw);
  }

  async verifyPin(secret: JpkiSecret, value: string): Promise<PinResult> {
    if (!/^[\x20-\x7e]{1,16}$/.test(value))
      throw new CardError('ERR_PIN_FORMAT', 'a PIN or password is 1 to 16 printable ASCII characters');
    await this.#channel.selectFile(SECRET_EF[secret]);
    return this.#channel.verify(0x80, new TextEncoder().encode(value));
  }

  /** CHANGE REFERENCE DATA after a successful {@link verifyPin} in this session. */
  async changePin(secret: JpkiSecret, newValue: string): Promise<void> {
    await this.#channel.selectFile(SECRET_EF[secret]);
    expectOk(
      await this.#channel.send({ cla: 0, ins: 0x24, p1: 0x01, p2: 0x80, data: new TextEncoder().encode(newValue) }),
      'CHANGE REFERENCE DATA',
    );
  }

  /** `80 2A 00 80`: PKCS#1 v1.5 over a DigestInfo the caller built (card-spec §2.1). */
  async sign(secret: JpkiSecret, digestInfo: Uint8Array): Promise<Uint8Array> {
    await this.#channel.selectFile(KEY_EF[secret]);
    return expectOk(
      await this.#channel.send({ cla: 0x80, ins: 0x2a, p1: 0x00, p2: 0x80, data: digestInfo, le: 256 }),
      'COMPUTE DIGITAL SIGNATURE',
    );
  }
}
