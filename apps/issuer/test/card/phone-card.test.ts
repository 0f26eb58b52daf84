import { base64ToBytes } from '@openmyna/pki';
import {
  cardKeyId,
  decodeCardFaceFile,
  decodeCvCertificate,
  JpkiReader,
  KenhojoReader,
  KenkakuReader,
  MemoryRetryCounterStore,
  inProcessTransport,
  openPhoneCard,
  PHONE_PIN_REFERENCES,
  phoneReferenceData,
  SoftwareCardKey,
  SW,
  verifyCardSignature,
} from '@openmyna/card';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { registryPerson } from '../../../../test-support/issuer-fixtures.js';
import { issuerWithPhones } from '../../../../test-support/verifier-fixtures.js';

const PINS = { authentication: '4321', signing: 'PHONE2026', kenhojo: '5678', juki: '8765' };

describe("the phone's applet set", () => {
  let issuer: Awaited<ReturnType<typeof issuerWithPhones>>;
  beforeAll(async () => {
    issuer = await issuerWithPhones('phone-card', [3]);
  }, 90_000);
  afterAll(() => issuer.dispose());

  const open = async () => {
    const contents = issuer.phones[0]!.bundle;
    const key = async () => (await SoftwareCardKey.generate()).key;
    const { card, counters } = openPhoneCard({
      contents,
      keys: { authentication: await key(), signing: await key(), cardFace: await key() },
      pins: phoneReferenceData(contents, PINS),
      store: new MemoryRetryCounterStore(),
      tokenSerial: '0123456789ABCDEF',
    });
    return { transport: inProcessTransport(card), counters };
  };

  it('answers as the card does, with the phone token label and the PINs the holder chose', async () => {
    const { transport, counters } = await open();
    expect([...counters.keys()].sort()).toEqual(Object.keys(PHONE_PIN_REFERENCES).sort());
    const jpki = new JpkiReader(transport);
    await jpki.select();
    expect(await jpki.tokenLabel()).toBe('JPKIAPOPENMYNATOKEN');
    expect(await jpki.verifyPin('signing', PINS.signing)).toEqual({ result: 'verified' });
    const kenhojo = new KenhojoReader(transport);
    await kenhojo.select();
    // 照合番号A is the 個人番号 the records hold.
    const { myNumber } = registryPerson('phone-card', 3).input;
    expect(await kenhojo.verify('codeA', myNumber)).toEqual({ result: 'verified' });
    expect((await kenhojo.readMyNumberFile()).length).toBe(17);
  });

  it('has no 照合番号B: the phone prints no security code', async () => {
    const { transport } = await open();
    const kenhojo = new KenhojoReader(transport);
    await kenhojo.select();
    await expect(kenhojo.verify('codeB', '12345678901234')).rejects.toMatchObject({ code: 'ERR_CARD_STATUS' });
    const kenkaku = new KenkakuReader(transport);
    await kenkaku.select();
    const answer = await transport.transmit(Uint8Array.of(0x00, 0x20, 0x00, 0x92, 0x02, 0x31, 0x32));
    expect((answer[0]! << 8) | answer[1]!).toBe(SW.DATA_OBJECT_NOT_FOUND);
  });

  it('answers MF-level GET DATA as the card does: token serial as card identification number, the CV chain to its 券面 key', async () => {
    const { transport } = await open();
    const send = async (hex: string) => {
      const response = await transport.transmit(Uint8Array.from(Buffer.from(hex, 'hex')));
      return { sw: Buffer.from(response.subarray(-2)).toString('hex'), data: response.subarray(0, -2) };
    };
    const contents = issuer.phones[0]!.bundle;
    expect(new TextDecoder().decode((await send('00ca004500')).data)).toBe('0123456789ABCDEF');
    expect(new TextDecoder().decode((await send('00ca00f000')).data)).toBe(contents.municipalityCode);
    expect((await send('00ca006600')).data[0]).toBe(0x66);
    expect((await send('00ca00f800')).sw).toBe('6700');
    const upper = decodeCvCertificate((await send('00ca00f8000000')).data);
    const lower = decodeCvCertificate((await send('00ca7f21000000')).data);
    expect(upper.subjectKeyId).toBe(contents.kenkaku.signerKeyId);
    expect(lower.issuerKeyId).toBe(upper.subjectKeyId);
    expect(verifyCardSignature(upper.subjectKey, lower.body, lower.signature)).toBe(true);
    expect(lower.subjectKeyId).toBe(cardKeyId(contents.municipalityCode));
    // The certified key is the one the issuer put in the phone's card face (DF24).
    const { face } = decodeCardFaceFile(base64ToBytes(contents.kenkaku.cardFaceFile));
    expect(lower.subjectKey).toEqual(face.cardKey);
  });
});
