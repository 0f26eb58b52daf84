import {
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
} from '@openmyna/card';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { registryPerson } from '../../../test-support/issuer-fixtures.js';
import { issuerWithPhones } from '../../../test-support/verifier-fixtures.js';

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
});
