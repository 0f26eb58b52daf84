import { parseIsoDate, type MunicipalityCode } from '@openmyna/core';
import {
  listApplications,
  cardKeyId,
  decodeCommonCardRecord,
  decodeCvCertificate,
  decodeKeyId,
  encodeKeyId,
  verifyCardSignature,
  decodeMyNumberFile,
  inProcessTransport,
  issueVirtualCard,
  JpkiReader,
  KenhojoReader,
  KenkakuReader,
  decodeCardFaceFile,
  verifyKenkakuRecords,
  MemoryRetryCounterStore,
  openVirtualCard,
  verifyKenhojoRecords,
  type CardRsaPublicKey,
  type CardSecrets,
  type VirtualCardDocument,
} from '@openmyna/card';
import {
  openWithPassphrase,
  parseCertificate,
  sealWithPassphrase,
  SoftwareSigner,
  trustAnchor,
  validatePath,
  type Hierarchy,
} from '@openmyna/pki';
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeTlv, decodeTlvChildren } from '@openmyna/core';
import { encodeDigestInfo } from '@openmyna/pki';
import { beforeAll, describe, expect, it } from 'vitest';

import { makeAuthority, makeKenhojoIssuer, makeKenkakuIssuer } from '../../../test-support/authorities.js';
import { cardFaceImages } from '../../../test-support/card-face.js';

const NOW = new Date('2026-04-01T03:00:00Z');
const ITERATIONS = 10_000;
const person = {
  id: 'P0000042',
  basicFourInfo: {
    name: '番号　花子',
    address: '東京都千代田区永田町１－７－１',
    birthDate: parseIsoDate('1971-09-01'),
    sex: '2' as const,
  },
  myNumber: '123456789018',
  residentCode: '98765432109',
  municipalityCode: '13101' as MunicipalityCode,
  prefecture: '東京都',
  municipality: '千代田区',
};

let document: VirtualCardDocument;
let caKeys: Map<string, CardRsaPublicKey>;
let kenkakuCaKeys: Map<string, CardRsaPublicKey>;
let kenkakuIssuer: Awaited<ReturnType<typeof makeKenkakuIssuer>>;
let images: Awaited<ReturnType<typeof cardFaceImages>>;
const imagesReady = cardFaceImages(
  { name: '番号　花子', address: '東京都千代田区永田町１－７－１', myNumber: '123456789018', securityCode: '4821' },
  '2',
);
let anchors: { signing: Uint8Array; authentication: Uint8Array };

const authority = (hierarchy: Hierarchy) => makeAuthority(hierarchy, 'virtual card');

beforeAll(async () => {
  const [signingCa, authenticationCa] = await Promise.all([authority('signing'), authority('authentication')]);
  const face = await makeKenhojoIssuer();
  caKeys = face.caKeys;
  kenkakuIssuer = await makeKenkakuIssuer();
  images = await imagesReady;
  kenkakuCaKeys = kenkakuIssuer.caKeys;
  const { issuer, cvCertificate } = face;
  anchors = { signing: signingCa.certificate, authentication: authenticationCa.certificate };
  document = await issueVirtualCard({
    person,
    issuedAt: NOW,
    cardExpiry: parseIsoDate('2036-09-01'),
    securityCode: '4821',
    signingCa,
    authenticationCa,
    kenhojoIssuer: { signer: issuer, keyId: '1310121/000', cvCertificate },
    kenkakuIssuer,
    cardFaceImages: images,
    pins: { authentication: '1234', signing: 'HANAKO71', kenhojo: '5678' },
    passphrase: 'card passphrase',
    iterations: ITERATIONS,
  });
}, 60_000);

const open = (
  target: VirtualCardDocument,
  store = new MemoryRetryCounterStore(),
  onSecretsChanged?: (box: VirtualCardDocument['secrets']) => Promise<void>,
) =>
  openVirtualCard({
    document: target,
    passphrase: 'card passphrase',
    store: () => store,
    iterations: ITERATIONS,
    ...(onSecretsChanged ? { onSecretsChanged } : {}),
  });

/** Every string of a card file outside its sealed secrets, as text and as the bytes its base64 would be. */
function clearContents(target: object): string[] {
  const out: string[] = [];
  const walk = (value: unknown, key: string) => {
    if (key === 'secrets') return;
    if (typeof value === 'string') out.push(value, Buffer.from(value, 'base64').toString('latin1'));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  walk(target, '');
  return out;
}

describe('virtual cards (openmyna-card/2)', () => {
  it('keeps nothing personal in the clear: records, 住民票コード and signing certificate are sealed', async () => {
    expect(document.format).toBe('openmyna-card/2');
    const clear = clearContents(document).join('\n');
    for (const personal of [
      person.myNumber,
      person.residentCode,
      person.basicFourInfo.name,
      person.basicFourInfo.address,
    ])
      for (const form of [personal, Buffer.from(personal, 'utf8').toString('latin1')])
        expect(clear, personal === person.myNumber ? 'My Number' : 'personal data').not.toContain(form);
    // What opens it still answers only through the access rules: no record before its PIN.
    const kenhojo = new KenhojoReader(inProcessTransport(await open(document)));
    await kenhojo.select();
    await expect(kenhojo.readMyNumberFile()).rejects.toThrow();
    expect(await kenhojo.verify('pin', '5678')).toEqual({ result: 'verified' });
    expect(decodeMyNumberFile(await kenhojo.readMyNumberFile()).myNumber).toBe(person.myNumber);
  });

  it('still opens a card file of the first format, whose records were in the clear', async () => {
    const identity = `${document.personId}:${document.tokenSerial}`;
    const secrets = JSON.parse(
      new TextDecoder().decode(
        await openWithPassphrase(
          document.secrets,
          'card passphrase',
          new TextEncoder().encode(`openmyna-card/2:${identity}`),
        ),
      ),
    ) as CardSecrets;
    const { records, ...rest } = secrets;
    const legacy = {
      ...document,
      format: 'openmyna-card/1' as const,
      jpki: { ...document.jpki, signingCertificate: records!.signingCertificate },
      kenhojo: { ...document.kenhojo, ...records!.kenhojo },
      kenkaku: { ...document.kenkaku, ...records!.kenkaku },
      juki: { residentCode: records!.residentCode },
      secrets: await sealWithPassphrase(new TextEncoder().encode(JSON.stringify(rest)), 'card passphrase', {
        associatedData: new TextEncoder().encode(`openmyna-card/1:${identity}`),
        iterations: ITERATIONS,
      }),
    };
    const kenhojo = new KenhojoReader(inProcessTransport(await open(legacy as unknown as VirtualCardDocument)));
    await kenhojo.select();
    expect(await kenhojo.verify('pin', '5678')).toEqual({ result: 'verified' });
    expect(decodeMyNumberFile(await kenhojo.readMyNumberFile()).myNumber).toBe(person.myNumber);
    // A box cannot move between formats: the first format's secrets under the second's name do not open.
    await expect(open({ ...document, secrets: legacy.secrets })).rejects.toThrow();
  });

  it('carries JPKI certificates that chain and keeps every secret sealed', async () => {
    const text = JSON.stringify(document);
    // The 4-digit PINs as values (random base64 or hex may well contain "1234" by chance); the signing
    // password and a private JWK's "d" anywhere.
    for (const secret of ['"1234"', ':1234', '"5678"', ':5678', 'HANAKO71', '"d":']) expect(text).not.toContain(secret);
    const jpki = new JpkiReader(inProcessTransport(await open(document)));
    await jpki.select();
    const authentication = parseCertificate(await jpki.readCertificate('authentication'));
    expect(
      (
        await validatePath({
          certificate: authentication,
          trustAnchors: [trustAnchor(anchors.authentication)],
          time: NOW,
          checkRevocation: false,
        })
      ).status,
    ).toBe('valid');
    expect(await jpki.verifyPin('signing', 'HANAKO71')).toEqual({ result: 'verified' });
    const signing = parseCertificate(await jpki.readCertificate('signing'));
    expect(signing.notAfter.getTime()).toBeLessThanOrEqual(authentication.notAfter.getTime());
  });

  it('opens the 入力補助AP with 照合番号B built from the 和暦 birth date, the expiry year and the security code', async () => {
    const kenhojo = new KenhojoReader(inProcessTransport(await open(document)));
    await kenhojo.select();
    // 1971-09-01 is 昭和46年9月1日 → 460901; expiry 2036; security code 4821.
    expect(await kenhojo.verify('codeB', '46090120364821')).toEqual({ result: 'verified' });
    const result = verifyKenhojoRecords(
      {
        integrityRecord: await kenhojo.readIntegrityRecord(),
        cvCertificate: await kenhojo.readCvCertificate(),
        basicFourInfoFile: await kenhojo.readBasicFourInfoFile(),
      },
      caKeys,
    );
    expect(result.status).toBe('valid');
    expect(await kenhojo.verify('pin', '5678')).toEqual({ result: 'verified' });
    expect(decodeMyNumberFile(await kenhojo.readMyNumberFile()).myNumber).toBe('123456789018');
  });

  it('opens the 券面AP with 照合番号B and shows a card face whose signature chains to the 券面 CA', async () => {
    const kenkaku = new KenkakuReader(inProcessTransport(await open(document)));
    await kenkaku.select();
    expect(await kenkaku.verify('codeB', '46090120364821')).toEqual({ result: 'verified' });
    const cardFaceFile = await kenkaku.readCardFace();
    const result = verifyKenkakuRecords(
      { cvCertificate: await kenkaku.readCvCertificate(), cardFaceFile },
      kenkakuCaKeys,
    );
    expect(result.status).toBe('valid');
    const face = decodeCardFaceFile(cardFaceFile).face;
    expect(face.nameImage).toEqual(images.name);
    expect(face.photo).toEqual(images.photo);
    expect(face.expiry).toEqual(parseIsoDate('2036-09-01'));
    // The 個人番号 image needs 照合番号A; the age record needs the birth-date key.
    await expect(kenkaku.readMyNumberImage()).rejects.toThrow(/6982/);
    expect(await kenkaku.verify('codeA', '123456789018')).toEqual({ result: 'verified' });
    const myNumberImageRecord = await kenkaku.readMyNumberImage();
    expect(
      verifyKenkakuRecords({ cvCertificate: await kenkaku.readCvCertificate(), myNumberImageRecord }, kenkakuCaKeys)
        .status,
    ).toBe('valid');
    const fresh = new KenkakuReader(inProcessTransport(await open(document)));
    await fresh.select();
    expect(await fresh.verify('birthDate', '460901')).toEqual({ result: 'verified' });
    expect(
      verifyKenkakuRecords(
        { cvCertificate: await fresh.readCvCertificate(), ageRecord: await fresh.readAgeRecord() },
        kenkakuCaKeys,
      ).status,
    ).toBe('valid');
  });

  it('persists a changed PIN in re-sealed secrets', async () => {
    let sealed: VirtualCardDocument['secrets'] | undefined;
    const jpki = new JpkiReader(
      inProcessTransport(
        await open(document, new MemoryRetryCounterStore(), (box) => {
          sealed = box;
          return Promise.resolve();
        }),
      ),
    );
    await jpki.select();
    await jpki.verifyPin('authentication', '1234');
    await jpki.changePin('authentication', '4321');
    expect(sealed).toBeDefined();
    const reopened = new JpkiReader(inProcessTransport(await open({ ...document, secrets: sealed! })));
    await reopened.select();
    expect(await reopened.verifyPin('authentication', '4321')).toEqual({ result: 'verified' });
  });

  it('refuses a wrong passphrase and secrets moved to another card', async () => {
    await expect(
      openVirtualCard({ document, passphrase: 'wrong', store: () => new MemoryRetryCounterStore() }),
    ).rejects.toMatchObject({ code: 'ERR_KEY_PASSPHRASE' });
    await expect(open({ ...document, personId: 'P0000043' })).rejects.toMatchObject({ code: 'ERR_KEY_PASSPHRASE' });
  });

  it('issues no signing certificate to a holder under 15', async () => {
    const child = await issueVirtualCard({
      person: {
        ...person,
        id: 'P0000050',
        basicFourInfo: { ...person.basicFourInfo, birthDate: parseIsoDate('2015-05-05') },
      },
      issuedAt: NOW,
      cardExpiry: parseIsoDate('2031-05-05'),
      securityCode: '1111',
      signingCa: await authority('signing'),
      authenticationCa: await authority('authentication'),
      kenhojoIssuer: {
        signer: await SoftwareSigner.generate(),
        keyId: '1310121/000',
        cvCertificate: Uint8Array.from(Buffer.from(document.kenhojo.cvCertificate, 'base64')),
      },
      kenkakuIssuer,
      cardFaceImages: images,
      pins: { authentication: '1234', signing: 'UNUSED1', kenhojo: '5678' },
      passphrase: 'card passphrase',
      iterations: ITERATIONS,
    });
    expect(child.jpki.signingIssued).toBe(false);
    const card = await open(child);
    const response = await card.transmit(
      Uint8Array.from(Buffer.from('00a4040c0ad392f00026010000000100b0880003'.slice(0, 30), 'hex')),
    );
    expect(response.subarray(-2)).toEqual(Uint8Array.of(0x90, 0x00));
    const availability = await card.transmit(Uint8Array.from(Buffer.from('00b0880003', 'hex')));
    expect(Array.from(availability.subarray(0, 3))).toEqual([0x00, 0x8f, 0x00]);
  }, 30_000);
});

describe('住基AP and 共通カードAP on a virtual card', () => {
  const hex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s/g, ''), 'hex'));
  const send = async (card: Awaited<ReturnType<typeof open>>, command: string) => {
    const response = await card.transmit(hex(command));
    return { sw: Buffer.from(response.subarray(-2)).toString('hex'), data: response.subarray(0, -2) };
  };

  it('reads the 共通カードAP record with READ RECORD: serial, municipality code, expiry', async () => {
    const card = await open(document);
    expect((await send(card, '00a4040c0ad3921000310001010100')).sw).toBe('9000');
    expect((await send(card, '00b2010400')).sw).toBe('6985');
    const record = await send(card, '00b2010c00');
    expect(record.sw).toBe('9000');
    expect(decodeCommonCardRecord(record.data)).toEqual({
      serial: document.common.serial,
      municipalityCode: '13101',
      expiry: '20360901',
    });
    expect((await send(card, '00b2020c00')).sw).toBe('6a83');
    expect((await send(card, '00b0810000')).sw).toBe('6981');
  });

  it('keeps the 住民票コード behind the 住基 PIN, changed with CHANGE KEY', async () => {
    const card = await open(document);
    await send(card, '00a4040c0ad3921000310001010401');
    expect((await send(card, '00b0810000')).sw).toBe('6982');
    expect((await send(card, '0020009c 04 35363738')).sw).toBe('9000');
    const code = await send(card, '00b0810000');
    expect(new TextDecoder().decode(code.data.subarray(3))).toBe('98765432109');
    await send(card, '00a4020c02001c');
    expect((await send(card, '00240180 04 31313131')).sw).toBe('6d00');
    expect((await send(card, '80320080 04 31313131')).sw).toBe('9000');
  });

  it('lists the applications a card and a phone carry', async () => {
    expect(await listApplications(inProcessTransport(await open(document)))).toEqual([
      'JPKI-AP',
      '券面AP',
      '券面事項入力補助AP',
      '住基AP',
      '共通カードAP',
    ]);
    expect(await listApplications(inProcessTransport(await open({ ...document, variant: 'phone' })))).toEqual([
      'JPKI-AP',
    ]);
  });

  it.each([
    ['READ RECORD with record number 0', '00b2000c00', '6a86'],
    ['READ RECORD with P2 = 05 (ranges are not offered)', '00b2010500', '6a86'],
    ['READ RECORD of an absent SFI', '00b2013c00', '6a82'],
    ['READ RECORD without Le', '00b2010c', '6700'],
    ['CHANGE REFERENCE DATA where CHANGE KEY is used', '00240180 04 31313131', '6d00'],
    ['CHANGE KEY before VERIFY', '80320080 04 31313131', '6a88'],
    ['CHANGE KEY with an ISO CLA', '00320080 04 31313131', '6e00'],
  ])('共通カードAP answers %s with %s', async (_label, command, sw) => {
    const card = await open(document);
    await send(card, '00a4040c0ad3921000310001010100');
    expect((await send(card, command)).sw).toBe(sw);
  });
});

describe('MF-level GET DATA on a virtual card (card-spec §0)', () => {
  const hex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s/g, ''), 'hex'));
  const send = async (card: Awaited<ReturnType<typeof open>>, command: string) => {
    const response = await card.transmit(hex(command));
    return { sw: Buffer.from(response.subarray(-2)).toString('hex'), data: response.subarray(0, -2) };
  };
  const ascii = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

  it('answers 0042, 0045, 0066, 00F0, 00F2, 00F7 and 5F51 with a short Le', async () => {
    const card = await open(document);
    const issuerId = await send(card, '00ca004200');
    expect(issuerId.sw).toBe('9000');
    expect(decodeKeyId(issuerId.data)).toBe('9000023/001');
    expect(ascii((await send(card, '00ca004500')).data)).toBe(document.common.serial);
    expect(ascii((await send(card, '00ca00f000')).data)).toBe('13101');
    expect(ascii((await send(card, '00ca00f200')).data)).toBe('20360901');
    expect((await send(card, '00ca00f700')).data).toEqual(encodeKeyId(kenkakuIssuer.keyId));
    expect(Buffer.from((await send(card, '00ca5f5100')).data).toString('hex')).toBe('e000ff8131fe4514');
    // GlobalPlatform card recognition data: 66 { 73 { 06 {globalPlatform 1}, 60 { 06 … }, 63 { 06 … } } }.
    const recognition = await send(card, '00ca006600');
    const outer = decodeTlv(recognition.data);
    expect(outer.tag).toBe(0x66);
    const [template] = decodeTlvChildren(outer);
    expect(template?.tag).toBe(0x73);
    const [identifier, management, scheme] = decodeTlvChildren(template!);
    expect(Buffer.from(identifier!.raw).toString('hex')).toBe('06072a864886fc6b01');
    expect(management?.tag).toBe(0x60);
    expect(Buffer.from(scheme!.raw).toString('hex')).toBe('630906072a864886fc6b03');
  });

  it('refuses a short Le for the CV certificates 00F8 and 7F21 (6700) and answers an extended one', async () => {
    const card = await open(document);
    expect((await send(card, '00ca00f800')).sw).toBe('6700');
    expect((await send(card, '00ca7f2100')).sw).toBe('6700');
    const upper = await send(card, '00ca00f8000000');
    const lower = await send(card, '00ca7f21000000');
    expect([upper.sw, lower.sw]).toEqual(['9000', '9000']);
    // Without the 7F21 template (card-spec §3.7): 5F4E body, 5F37 signature.
    expect(Buffer.from(upper.data.subarray(0, 5)).toString('hex')).toBe('5f4e820129');
    expect(Buffer.from(lower.data.subarray(0, 5)).toString('hex')).toBe('5f4e820129');
    expect(upper.data.length).toBe(5 + 297 + 5 + 256);
  });

  it('serves a chain that verifies from the 券面 CA key down to the key that answers the card-presence challenge', async () => {
    const card = await open(document);
    const upper = decodeCvCertificate((await send(card, '00ca00f8000000')).data);
    const lower = decodeCvCertificate((await send(card, '00ca7f21000000')).data);
    const caKey = kenkakuCaKeys.get(upper.issuerKeyId)!;
    expect(verifyCardSignature(caKey, upper.body, upper.signature)).toBe(true);
    expect(lower.issuerKeyId).toBe(upper.subjectKeyId);
    expect(verifyCardSignature(upper.subjectKey, lower.body, lower.signature)).toBe(true);
    expect(lower.subjectKeyId).toBe(cardKeyId('13101'));
    // An MF-level key ID ends 00 00 00 A8 (card-spec §3.7).
    expect(Buffer.from(lower.body.subarray(28, 32)).toString('hex')).toBe('000000a8');
    // The certified key is the card's own: it signs a challenge in the 券面AP with no credential.
    const challenge = crypto.getRandomValues(new Uint8Array(16));
    await send(card, '00a4040c0ad3921000310001010402');
    const digestInfo = Buffer.from(encodeDigestInfo('SHA-256', sha256(challenge))).toString('hex');
    const signed = await send(card, `802a0000 33 ${digestInfo} 00`);
    expect(signed.sw).toBe('9000');
    expect(verifyCardSignature(lower.subjectKey, challenge, signed.data)).toBe(true);
  });

  it('answers only at the MF: an AP answers GET DATA itself, the ISD brings the MF back', async () => {
    const card = await open(document);
    await send(card, '00a4040c0ad392f000260100000001');
    expect((await send(card, '00ca00f000')).sw).toBe('6d00');
    expect((await send(card, '00a4040c07a0000001510000')).sw).toBe('9000');
    expect(ascii((await send(card, '00ca00f000')).data)).toBe('13101');
    expect((await send(card, '00ca00f100')).sw).toBe('6a88');
  });

  it('has no 7F21 on a card file issued before it (6A88, as on older cards); the rest is there', async () => {
    const associatedData = new TextEncoder().encode(`openmyna-card/2:${document.personId}:${document.tokenSerial}`);
    const secrets = JSON.parse(
      new TextDecoder().decode(await openWithPassphrase(document.secrets, 'card passphrase', associatedData)),
    ) as CardSecrets;
    const { cardCvCertificate, ...kenkaku } = secrets.records!.kenkaku;
    expect(cardCvCertificate).toBeDefined();
    const older = {
      ...document,
      secrets: await sealWithPassphrase(
        new TextEncoder().encode(JSON.stringify({ ...secrets, records: { ...secrets.records!, kenkaku } })),
        'card passphrase',
        { associatedData, iterations: ITERATIONS },
      ),
    };
    const card = await open(older);
    expect((await send(card, '00ca7f21000000')).sw).toBe('6a88');
    expect((await send(card, '00ca00f8000000')).sw).toBe('9000');
    expect((await send(card, '00ca00f700')).data).toEqual(encodeKeyId(kenkakuIssuer.keyId));
  });
});
