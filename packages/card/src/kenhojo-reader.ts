import { ApduChannel, expectOk, statusError, type PinResult } from './apdu-channel.js';
import { CardError } from './errors.js';
import { KENHOJO_AID, KENHOJO_EF } from './kenhojo-applet.js';
import { SW } from './response-apdu.js';
import type { CardTransport } from './transport.js';

/** The three ways into the 入力補助AP. */
export type KenhojoCredential = 'pin' | 'codeA' | 'codeB';

const CREDENTIAL_EF: Record<KenhojoCredential, number> = {
  pin: KENHOJO_EF.pin,
  codeA: KENHOJO_EF.codeA,
  codeB: KENHOJO_EF.codeB,
};

/**
 * The reader side of the 券面事項入力補助AP: verify one credential, then read the records it opens
 * as raw bytes, which is what `verifyKenhojoRecords` checks.
 */
export class KenhojoReader {
  readonly #channel: ApduChannel;

  constructor(transport: CardTransport) {
    this.#channel = new ApduChannel(transport);
  }

  select(): Promise<void> {
    return this.#channel.selectApplication(KENHOJO_AID, '入力補助AP');
  }

  /** Tries left, from VERIFY with no data (`00 20 00 80|SFI`, uses no try; `6984` once blocked). */
  async triesLeft(credential: KenhojoCredential): Promise<number> {
    const response = await this.#channel.send({ cla: 0, ins: 0x20, p1: 0x00, p2: 0x80 | CREDENTIAL_EF[credential] });
    if ((response.sw & 0xfff0) === SW.WRONG_PIN) return response.sw & 0x0f;
    if (response.sw === SW.BLOCKED) return 0;
    throw statusError('VERIFY (status)', response.sw);
  }

  /** VERIFY by short EF identifier (`00 20 00 80|SFI`). */
  verify(credential: KenhojoCredential, value: string): Promise<PinResult> {
    if (!/^\d{1,16}$/.test(value)) throw new CardError('ERR_PIN_FORMAT', 'these credentials are digits only');
    return this.#channel.verify(0x80 | CREDENTIAL_EF[credential], new TextEncoder().encode(value));
  }

  /** CHANGE REFERENCE DATA of the 4-digit PIN, after a successful {@link verify} of it in this session. */
  async changePin(newValue: string): Promise<void> {
    if (!/^\d{4}$/.test(newValue)) throw new CardError('ERR_PIN_FORMAT', 'the 入力補助 PIN has 4 digits');
    expectOk(
      await this.#channel.send({
        cla: 0,
        ins: 0x24,
        p1: 0x01,
        p2: 0x80 | KENHOJO_EF.pin,
        data: new TextEncoder().encode(newValue),
      }),
      'CHANGE REFERENCE DATA',
    );
  }

  /** EF 0001 as stored: 17 bytes, filler included (its digest covers all of them). */
  async readMyNumberFile(): Promise<Uint8Array> {
    await this.#channel.selectFile(KENHOJO_EF.myNumber);
    return this.#channel.readFully(0, 17);
  }

  readBasicFourInfoFile(): Promise<Uint8Array> {
    return this.#channel.readObjectFile(KENHOJO_EF.basicFourInfo);
  }

  readIntegrityRecord(): Promise<Uint8Array> {
    return this.#channel.readObjectFile(KENHOJO_EF.integrityRecord);
  }

  readCvCertificate(): Promise<Uint8Array> {
    return this.#channel.readObjectFile(KENHOJO_EF.cvCertificate);
  }
}
