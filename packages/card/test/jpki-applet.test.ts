import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { JpkiReader, TOKEN_LABEL } from '@openmyna/card';
import {
  encodeDigestInfo,
  parseCertificate,
  recoverPkcs1SignedData,
  rsaPublicNumbersOf,
  trustAnchor,
  validatePath,
  verifyPkcs1Signature,
} from '@openmyna/pki';
import { beforeAll, describe, expect, it } from 'vitest';

import { makeJpkiCard, NOW } from './jpki-card.js';

type Card = Awaited<ReturnType<typeof makeJpkiCard>>;
let card: Card;
let phone: Card;

beforeAll(async () => {
  [card, phone] = await Promise.all([makeJpkiCard('card'), makeJpkiCard('phone')]);
}, 60_000);

/** Sends hex, returns the status word as hex and the data. */
async function send(target: Card, hex: string): Promise<{ sw: string; data: Uint8Array }> {
  const response = await target.card.transmit(hexToBytes(hex.replace(/\s/g, '')));
  return { sw: bytesToHex(response.subarray(-2)), data: response.subarray(0, -2) };
}
const SELECT_JPKI = '00a4040c0ad392f000260100000001';
const selectEf = (fid: string) => `00a4020c02${fid}`;
const ascii = (text: string) => bytesToHex(new TextEncoder().encode(text));
const verify = (p2: string, value: string) =>
  `002000${p2} ${value.length.toString(16).padStart(2, '0')} ${ascii(value)}`;

describe('JPKI-AP over APDUs (card-spec §1.2, §2)', () => {
  it('answers the reader as the card does: label, free CA certificates, certificates that chain', async () => {
    const reader = new JpkiReader(card.transport);
    await reader.select();
    expect(await reader.tokenLabel()).toBe(TOKEN_LABEL.card);
    expect(await reader.readCertificate('signing-ca')).toEqual(card.signingCa);
    expect(await reader.readCertificate('authentication-ca')).toEqual(card.authenticationCa);
    const authentication = await reader.readCertificate('authentication');
    expect(authentication).toEqual(card.authenticationCertificate);
    const path = await validatePath({
      certificate: parseCertificate(authentication),
      trustAnchors: [trustAnchor(card.authenticationCa)],
      time: NOW,
      checkRevocation: false,
    });
    expect(path.status).toBe('valid');
    expect(bytesToHex((await send(card, '00b0880003')).data)).toBe('8f8f00');
  });

  it('keeps the signing certificate behind the password, and on the phone the auth certificate behind the PIN', async () => {
    const reader = new JpkiReader(card.transport);
    await reader.select();
    await expect(reader.readCertificate('signing')).rejects.toThrow(/6982/);
    expect(await reader.verifyPin('signing', 'ABC123')).toEqual({ result: 'verified' });
    expect(await reader.readCertificate('signing')).toEqual(card.signingCertificate);

    const phoneReader = new JpkiReader(phone.transport);
    await phoneReader.select();
    expect(await phoneReader.tokenLabel()).toBe(TOKEN_LABEL.phone);
    await expect(phoneReader.readCertificate('authentication')).rejects.toThrow(/6982/);
    expect(await phoneReader.verifyPin('authentication', '1234')).toEqual({ result: 'verified' });
    expect(await phoneReader.readCertificate('authentication')).toEqual(phone.authenticationCertificate);
  });

  it('signs a DigestInfo only after the PIN (80 2A 00 80), and the signature verifies with the certificate', async () => {
    const reader = new JpkiReader(card.transport);
    await reader.select();
    const message = new TextEncoder().encode('login challenge');
    const digestInfo = encodeDigestInfo('SHA-256', sha256(message));
    await expect(reader.sign('authentication', digestInfo)).rejects.toThrow(/6982/);
    await reader.verifyPin('authentication', '1234');
    const signature = await reader.sign('authentication', digestInfo);
    expect(
      await verifyPkcs1Signature({
        subjectPublicKeyInfo: card.authenticationPublicKey,
        data: message,
        signature,
        hash: 'SHA-256',
      }),
    ).toBe(true);
  });

  it('implements every P1 mode of 80 2A', async () => {
    await send(card, SELECT_JPKI);
    await send(card, selectEf('0018'));
    expect((await send(card, verify('80', '1234'))).sw).toBe('9000');
    const message = new TextEncoder().encode('document');
    const hash = sha256(message);
    const numbers = rsaPublicNumbersOf(card.authenticationPublicKey);
    const sign = async (p1: string, data: Uint8Array) => {
      const response = await send(
        card,
        `802a${p1}97 ${data.length.toString(16).padStart(2, '0')} ${bytesToHex(data)} 00`,
      );
      expect(response.sw).toBe('9000');
      return response.data;
    };
    const digestInfo = bytesToHex(encodeDigestInfo('SHA-256', hash));
    expect(bytesToHex(recoverPkcs1SignedData(numbers, await sign('00', hexToBytes(digestInfo)))!)).toBe(digestInfo);
    expect(bytesToHex(recoverPkcs1SignedData(numbers, await sign('01', message))!)).toBe(bytesToHex(hash));
    expect(bytesToHex(recoverPkcs1SignedData(numbers, await sign('02', hash))!)).toBe(digestInfo);
    expect(bytesToHex(recoverPkcs1SignedData(numbers, await sign('03', message))!)).toBe(digestInfo);
    const buffer = (bytes: Uint8Array) => bytes as Uint8Array<ArrayBuffer>;
    const pssKey = await crypto.subtle.importKey(
      'spki',
      buffer(card.authenticationPublicKey),
      { name: 'RSA-PSS', hash: 'SHA-256' },
      false,
      ['verify'],
    );
    expect(
      await crypto.subtle.verify(
        { name: 'RSA-PSS', saltLength: 32 },
        pssKey,
        buffer(await sign('05', message)),
        buffer(message),
      ),
    ).toBe(true);
    expect(
      await crypto.subtle.verify(
        { name: 'RSA-PSS', saltLength: 32 },
        pssKey,
        buffer(await sign('04', hash)),
        buffer(message),
      ),
    ).toBe(true);
    expect((await send(card, `802a0697 20 ${bytesToHex(hash)} 00`)).sw).toBe('6a86');
    expect((await send(card, `802a0297 1f ${bytesToHex(hash.subarray(1))} 00`)).sw).toBe('6700');
  });

  it('counts PIN tries 3, 2, 1, 0 and then answers 6984; the status query uses none', async () => {
    const fresh = await makeJpkiCard();
    await send(fresh, SELECT_JPKI);
    await send(fresh, selectEf('0018'));
    expect((await send(fresh, '0020 0080')).sw).toBe('63c3');
    expect((await send(fresh, '0020 0080')).sw).toBe('63c3');
    expect((await send(fresh, verify('80', '0000'))).sw).toBe('63c2');
    expect((await send(fresh, verify('98', '0000'))).sw).toBe('63c1'); // by SFI 18
    expect((await send(fresh, verify('80', '0000'))).sw).toBe('63c0');
    expect((await send(fresh, verify('80', '1234'))).sw).toBe('6984');
    expect((await send(fresh, '0020 0080')).sw).toBe('63c0');
    // The signing password is a separate counter with 5 tries.
    expect((await send(fresh, '0020 009b')).sw).toBe('63c5');
  }, 30_000);

  it('clears the security state when another AP is selected or the card resets', async () => {
    await send(card, SELECT_JPKI);
    await send(card, selectEf('0018'));
    expect((await send(card, verify('80', '1234'))).sw).toBe('9000');
    await send(card, selectEf('0017'));
    expect((await send(card, `802a0080 33 ${bytesToHex(encodeDigestInfo('SHA-256', new Uint8Array(32)))} 00`)).sw).toBe(
      '9000',
    );
    expect((await send(card, '00a4040c07a0000001510000')).sw).toBe('9000');
    await send(card, SELECT_JPKI);
    await send(card, selectEf('0017'));
    expect((await send(card, `802a0080 33 ${bytesToHex(encodeDigestInfo('SHA-256', new Uint8Array(32)))} 00`)).sw).toBe(
      '6982',
    );
    await send(card, selectEf('0018'));
    await send(card, verify('80', '1234'));
    card.card.reset();
    await send(card, SELECT_JPKI);
    expect((await send(card, `802a0097 33 ${bytesToHex(encodeDigestInfo('SHA-256', new Uint8Array(32)))} 00`)).sw).toBe(
      '6982',
    );
  });

  it('changes the PIN only after VERIFY and only to a well-formed value', async () => {
    const fresh = await makeJpkiCard();
    await send(fresh, SELECT_JPKI);
    await send(fresh, selectEf('0018'));
    expect((await send(fresh, `00240180 04 ${ascii('5678')}`)).sw).toBe('6982');
    await send(fresh, verify('80', '1234'));
    expect((await send(fresh, `00240180 05 ${ascii('56789')}`)).sw).toBe('6a80');
    expect((await send(fresh, `00240180 04 ${ascii('5678')}`)).sw).toBe('9000');
    expect((await send(fresh, verify('80', '1234'))).sw).toBe('63c2');
    expect((await send(fresh, verify('80', '5678'))).sw).toBe('9000');
    await send(fresh, selectEf('001b'));
    await send(fresh, verify('80', 'ABC123'));
    expect((await send(fresh, `00240180 06 ${ascii('abc123')}`)).sw).toBe('6a80');
    expect((await send(fresh, `00240180 06 ${ascii('ABCDEF')}`)).sw).toBe('6a80');
    expect((await send(fresh, `00240180 08 ${ascii('NEWPASS1')}`)).sw).toBe('9000');
  }, 30_000);

  it.each([
    ['an unknown INS', '00ee000000', '6d00'],
    ['a proprietary CLA on READ BINARY', '80b0000004', '6e00'],
    ['an ISO CLA on 80 2A', '002a0080 01 00 00', '6e00'],
    ['an unknown CLA', 'a0b0000004', '6e00'],
    ['a logical channel', '01b0000004', '6881'],
    ['SELECT EF with P2 = 00', '00a4020002000a', '6a86'],
    ['SELECT EF with a 3-byte FID', '00a4020c0300000a', '6700'],
    ['SELECT of an absent EF', selectEf('0005'), '6a82'],
    ['SELECT of an unknown AID', '00a4040c0ad392f000260100000002', '6a82'],
    ['READ BINARY without Le', '00b08a00', '6700'],
    ['READ BINARY past the end (SFI 08, 3 bytes)', '00b0880510', '6b00'],
    ['READ BINARY with no current EF', '00b0000004', '6985'],
    ['READ BINARY of an absent SFI', '00b0850000', '6a82'],
    ['VERIFY with P1 = 01', '00200180', '6a86'],
    ['VERIFY of no key reference', '00200093', '6a88'],
    ['VERIFY with 17 bytes', `0020009811${'31'.repeat(17)}`, '6700'],
    ['CHANGE REFERENCE DATA with P1 = 00', '00240080023132', '6a86'],
    ['80 2A with P1 = 06', '802a06970100 00', '6a86'],
    ['80 2A with no key', '802a00810100 00', '6985'],
    ['GET CHALLENGE with extended Le', '0084000000 0008', '6985'],
    ['GET CHALLENGE with P1 = 01', '0084010008', '6a86'],
    ['a malformed APDU', '00a4040c05d392', '6700'],
  ])('answers %s with %s', async (_label, hex, sw) => {
    await send(card, SELECT_JPKI);
    expect((await send(card, hex)).sw).toBe(sw);
  });

  it('answers at the MF level: GET DATA, GET CHALLENGE, no EFs', async () => {
    card.card.reset();
    expect((await send(card, '00a4020c023f00')).sw).toBe('6a82');
    const data = await send(card, '00ca00f000');
    expect(new TextDecoder().decode(data.data)).toBe('13221');
    expect((await send(card, '00ca00f0 03')).sw).toBe('6700');
    expect((await send(card, '00ca004200')).sw).toBe('6a88');
    const challenge = await send(card, '0084000010');
    expect(challenge.data).toHaveLength(16);
  });
});
