import { hexToBytes } from '@noble/hashes/utils.js';
import { decodeTlv, decodeTlvChildren } from '@openmyna/core';
import {
  createKenhojoApplet,
  decodeKeyId,
  decodeBasicFourInfoFile,
  decodeMyNumberFile,
  encodeIntegrityRecord,
  inProcessTransport,
  KenhojoReader,
  MemoryRetryCounterStore,
  protectPin,
  RetryCounter,
  SmartCard,
  verifyKenhojoRecords,
} from '@openmyna/card';
import { beforeEach, describe, expect, it } from 'vitest';

import { readVectorText } from '../../../test-support/test-vectors.js';
import { makeKenhojoIssuer } from '../../../test-support/authorities.js';
import { JPKI_ATR } from './jpki-card.js';

const ef0001 = hexToBytes(readVectorText('card-format/text-ap-ef0001-physical.hex').trim());
const ef0002 = hexToBytes(readVectorText('card-format/text-ap-ef0002.hex').trim());
const encode = (text: string) => new TextEncoder().encode(text);

const setup = (async () => {
  const { issuer, cvCertificate, caKeys } = await makeKenhojoIssuer('1322121/000');
  return { cvCertificate, caKeys, integrityRecord: await encodeIntegrityRecord(ef0001, ef0002, issuer) };
})();

let reader: KenhojoReader;
let card: SmartCard;

beforeEach(async () => {
  const { cvCertificate, integrityRecord } = await setup;
  const store = new MemoryRetryCounterStore();
  const salt = new Uint8Array(16).fill(5);
  const counter = (reference: string, value: string) =>
    new RetryCounter({ reference, maxTries: 3, pin: protectPin(encode(value), salt), store });
  card = new SmartCard({
    atr: JPKI_ATR,
    applets: [
      createKenhojoApplet({
        myNumberFile: ef0001,
        basicFourInfoFile: ef0002,
        integrityRecord,
        cvCertificate,
        signerKeyId: '1322121/000',
        // The test card's values (vectors/card-format/text-ap-records.json).
        pin: counter('kenhojo/0011', '1234'),
        codeA: counter('kenhojo/0014', '537686677188'),
        codeB: counter('kenhojo/0015', '55021720352285'),
      }),
    ],
  });
  reader = new KenhojoReader(inProcessTransport(card));
  await reader.select();
});

describe('券面事項入力補助AP access paths (DESIGN.md table)', () => {
  it('opens 個人番号, 4 info and the integrity record with the 4-digit PIN; the records verify', async () => {
    expect(await reader.verify('pin', '1234')).toEqual({ result: 'verified' });
    const myNumberFile = await reader.readMyNumberFile();
    const basicFourInfoFile = await reader.readBasicFourInfoFile();
    expect(myNumberFile).toEqual(ef0001);
    expect(basicFourInfoFile).toEqual(ef0002);
    const result = verifyKenhojoRecords(
      {
        integrityRecord: await reader.readIntegrityRecord(),
        cvCertificate: await reader.readCvCertificate(),
        myNumberFile,
        basicFourInfoFile,
      },
      (await setup).caKeys,
    );
    expect(result.status).toBe('valid');
    expect(decodeMyNumberFile(myNumberFile).myNumber).toBe('537686677188');
  });

  it('opens the 個人番号 and the integrity record, not the 4 info, with 照合番号A', async () => {
    expect(await reader.verify('codeA', '537686677188')).toEqual({ result: 'verified' });
    expect(await reader.readMyNumberFile()).toEqual(ef0001);
    expect((await reader.readIntegrityRecord()).length).toBe(336);
    await expect(reader.readBasicFourInfoFile()).rejects.toThrow(/6982/);
  });

  it('opens the 4 info and the integrity record, not the 個人番号, with 照合番号B', async () => {
    expect(await reader.verify('codeB', '55021720352285')).toEqual({ result: 'verified' });
    expect(decodeBasicFourInfoFile(await reader.readBasicFourInfoFile()).info.name).toBe('黒桐　幹也');
    await expect(reader.readMyNumberFile()).rejects.toThrow(/6982/);
    const { caKeys } = await setup;
    const result = verifyKenhojoRecords(
      {
        integrityRecord: await reader.readIntegrityRecord(),
        cvCertificate: await reader.readCvCertificate(),
        basicFourInfoFile: ef0002,
      },
      caKeys,
    );
    expect(result.status).toBe('valid');
  });

  it('opens nothing protected without a credential, but the CV certificate is free', async () => {
    await expect(reader.readMyNumberFile()).rejects.toThrow(/6982/);
    await expect(reader.readIntegrityRecord()).rejects.toThrow(/6982/);
    expect((await reader.readCvCertificate()).subarray(0, 2)).toEqual(Uint8Array.of(0x7f, 0x21));
  });

  it('counts each credential separately and blocks it after 3 wrong tries', async () => {
    expect(await reader.verify('codeA', '111111111118')).toEqual({ result: 'wrong', triesLeft: 2 });
    expect(await reader.verify('codeB', '00000000000000')).toEqual({ result: 'wrong', triesLeft: 2 });
    await reader.verify('codeA', '111111111118');
    expect(await reader.verify('codeA', '111111111118')).toEqual({ result: 'wrong', triesLeft: 0 });
    expect(await reader.verify('codeA', '537686677188')).toEqual({ result: 'blocked' });
    expect(await reader.verify('pin', '1234')).toEqual({ result: 'verified' });
  });

  it('answers key reference 0012 as the card does: blocked (query 63C0, VERIFY 6984)', async () => {
    const sw = async (hex: string) => {
      const response = await card.transmit(hexToBytes(hex));
      return Buffer.from(response.subarray(-2)).toString('hex');
    };
    expect(await sw('00200092')).toBe('63c0');
    expect(await sw('002000920431323334')).toBe('6984');
    expect(await sw('00200092')).toBe('63c0');
  });

  it('serves EF 0005 free, laid out as card-spec §3.4: FF40 { DF41 01030E01, DF42 key ID, DF43 32 bytes + 96 × FF }', async () => {
    expect(Buffer.from(await card.transmit(hexToBytes('00a4020c020005'))).toString('hex')).toBe('9000');
    const response = await card.transmit(hexToBytes('00b0000000'));
    // Le 00 asks for 256 bytes; the EF is shorter, so the card says so (6282) with all of it.
    expect(Buffer.from(response.subarray(-2)).toString('hex')).toBe('6282');
    const file = decodeTlv(response.subarray(0, -2));
    expect(file.tag).toBe(0xff40);
    const [info, keyId, unknown, extra] = decodeTlvChildren(file);
    expect(extra).toBeUndefined();
    expect(info?.tag).toBe(0xdf41);
    expect(Buffer.from(info!.value).toString('hex')).toBe('01030e01');
    expect(keyId?.tag).toBe(0xdf42);
    expect(decodeKeyId(keyId!.value)).toBe('1322121/000');
    // DF43 is 128 bytes on the card (card-spec §3.4: `DF43 80`): 32 bytes of unknown meaning, then 96 × FF.
    expect(unknown?.tag).toBe(0xdf43);
    expect(unknown!.value.length).toBe(128);
    expect(unknown!.value.subarray(32).every((byte) => byte === 0xff)).toBe(true);
  });

  it('forgets what was verified when the card resets', async () => {
    await reader.verify('pin', '1234');
    card.reset();
    await reader.select();
    await expect(reader.readMyNumberFile()).rejects.toThrow(/6982/);
  });
});
