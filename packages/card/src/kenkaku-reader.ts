import { sha256 } from '@noble/hashes/sha2.js';
import { encodeDigestInfo } from '@openmyna/pki';

import { ApduChannel, expectOk, type PinResult } from './apdu-channel.js';
import { CardError } from './errors.js';
import { KENKAKU_AID, KENKAKU_EF } from './kenkaku-applet.js';
import type { CardTransport } from './transport.js';

/** The ways into the 券面AP. */
export type KenkakuCredential = 'codeA' | 'codeB' | 'birthDate';

const CREDENTIAL_EF: Record<KenkakuCredential, number> = {
  codeA: KENKAKU_EF.codeA,
  codeB: KENKAKU_EF.codeB,
  birthDate: KENKAKU_EF.birthDateKey,
};

/**
 * The reader side of the 券面事項確認AP: verify a credential, read the records as bytes for
 * `verifyKenkakuRecords`, and have the card sign a challenge the verifier chose to prove presence.
 */
export class KenkakuReader {
  readonly #channel: ApduChannel;

  constructor(transport: CardTransport) {
    this.#channel = new ApduChannel(transport);
  }

  select(): Promise<void> {
    return this.#channel.selectApplication(KENKAKU_AID, '券面AP');
  }

  verify(credential: KenkakuCredential, value: string): Promise<PinResult> {
    if (!/^\d{1,16}$/.test(value)) throw new CardError('ERR_PIN_FORMAT', 'these credentials are digits only');
    return this.#channel.verify(0x80 | CREDENTIAL_EF[credential], new TextEncoder().encode(value));
  }

  readCardFace(): Promise<Uint8Array> {
    return this.#channel.readObjectFile(KENKAKU_EF.cardFace);
  }

  readAgeRecord(): Promise<Uint8Array> {
    return this.#channel.readObjectFile(KENKAKU_EF.ageRecord);
  }

  readMyNumberImage(): Promise<Uint8Array> {
    return this.#channel.readObjectFile(KENKAKU_EF.myNumberImage);
  }

  readCvCertificate(): Promise<Uint8Array> {
    return this.#channel.readObjectFile(KENKAKU_EF.cvCertificate);
  }

  /** `80 2A 00 00` over the DigestInfo of SHA-256(challenge): the AP's own key signs with no credential. */
  async proveCardPresence(challenge: Uint8Array): Promise<{ challenge: Uint8Array; signature: Uint8Array }> {
    const signature = expectOk(
      await this.#channel.send({
        cla: 0x80,
        ins: 0x2a,
        p1: 0x00,
        p2: 0x00,
        data: encodeDigestInfo('SHA-256', sha256(challenge)),
        le: 256,
      }),
      'COMPUTE DIGITAL SIGNATURE (card key)',
    );
    return { challenge, signature };
  }
}
