import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { JpkiReader, MemoryRetryCounterStore, openVirtualCard } from '@openmyna/card';
import { openPcscCard, VpcdBridge } from '@openmyna/card/node';
import { derFromPemOrDer, encodeDigestInfo, parseCertificate, verifyPkcs1Signature } from '@openmyna/pki';
import { sha256 } from '@noble/hashes/sha2.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CARD_PINS, nodeWallet, PHONE_PINS, walletWorld } from '../../../../test-support/wallet-fixtures.js';
import { makeJpkiCard } from '../../../../packages/card/test/jpki-card.js';

/**
 * The virtual JPKI card behind pcscd + vsmartcard's vpcd, used by OpenSC from Debian exactly as it
 * uses a physical card (reference/pcsc-notes.md). `.ci/run` installs pcscd, vsmartcard-vpcd and opensc.
 */
const PKCS11 = '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so';
const work = mkdtempSync(join(tmpdir(), 'openmyna-vpcd-'));
let pcscd: ChildProcess | undefined;
let bridge: VpcdBridge;
let card: Awaited<ReturnType<typeof makeJpkiCard>>;

/** Runs a tool without blocking: the bridge answers its APDUs from this same event loop. */
function run(command: string, args: string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { timeout: 30_000 });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('close', (status) => resolve({ status, out }));
  });
}

/** `pkcs11-tool` signs `data` (SHA256-RSA-PKCS) with key 01 of slot 0 after logging in with `pin`. */
function pkcs11Sign(pin: string, data: string, signature: string) {
  return run('pkcs11-tool', [
    '--module',
    PKCS11,
    '--slot-index',
    '0',
    '--login',
    '--pin',
    pin,
    '--sign',
    '--id',
    '01',
    '--mechanism',
    'SHA256-RSA-PKCS',
    '-i',
    data,
    '-o',
    signature,
  ]);
}

beforeAll(async () => {
  for (const binary of [
    '/usr/sbin/pcscd',
    '/usr/bin/opensc-tool',
    '/usr/bin/pkcs15-tool',
    '/usr/bin/pkcs11-tool',
    PKCS11,
  ]) {
    if (!existsSync(binary))
      throw new Error(`${binary} is missing: install pcscd, vsmartcard-vpcd and opensc (.ci/run does)`);
  }
  if (spawnSync('pgrep', ['-x', 'pcscd']).status !== 0) {
    pcscd = spawn('/usr/sbin/pcscd', ['--foreground'], { stdio: 'ignore' });
  }
  card = await makeJpkiCard('card');
  bridge = await VpcdBridge.connect({ card: card.card, connectTimeoutMs: 15_000 });
  // Give pcscd a moment to see the card inserted.
  for (let i = 0; i < 50 && !(await run('opensc-tool', ['-a'])).out.includes('3b:e0:00:ff:81:31:fe:45:14'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 60_000);

afterAll(async () => {
  await bridge?.close();
  pcscd?.kill('SIGTERM');
});

describe('the virtual card through pcscd + vpcd, read by OpenSC', () => {
  it('answers with the JPKI ATR and OpenSC picks its jpki driver', async () => {
    expect((await run('opensc-tool', ['-a'])).out).toContain('3b:e0:00:ff:81:31:fe:45:14');
    expect((await run('opensc-tool', ['-n'])).out).toContain('jpki');
  });

  it('lists the four certificates with pkcs15-tool and reads the authentication certificate', async () => {
    const listed = (await run('pkcs15-tool', ['--list-certificates'])).out;
    for (const label of [
      'User Authentication Certificate',
      'Digital Signature Certificate',
      'User Authentication Certificate CA',
      'Digital Signature Certificate CA',
    ]) {
      expect(listed).toContain(label);
    }
    const pem = (await run('pkcs15-tool', ['--read-certificate', '01'])).out;
    expect(derFromPemOrDer(new TextEncoder().encode(pem.slice(pem.indexOf('-----BEGIN'))), 'CERTIFICATE')).toEqual(
      card.authenticationCertificate,
    );
  });

  it('signs with the authentication key after the PIN through PKCS#11, and the signature verifies', async () => {
    const data = join(work, 'data.txt');
    const signature = join(work, 'data.sig');
    writeFileSync(data, 'login challenge from an RP');
    const signed = await pkcs11Sign('1234', data, signature);
    expect(signed.status, signed.out).toBe(0);
    expect(
      await verifyPkcs1Signature({
        subjectPublicKeyInfo: card.authenticationPublicKey,
        data: new Uint8Array(readFileSync(data)),
        signature: new Uint8Array(readFileSync(signature)),
        hash: 'SHA-256',
      }),
    ).toBe(true);
  });

  it('refuses a wrong PIN through PKCS#11', async () => {
    const result = await pkcs11Sign('0000', join(work, 'data.txt'), join(work, 'bad.sig'));
    expect(result.status).not.toBe(0);
    expect(result.out).toMatch(/CKR_PIN_INCORRECT|PIN/);
  });

  it('is read by our own reader client through the PC/SC transport (@pokusew/pcsclite)', async () => {
    const pcsc = await openPcscCard({ readerName: 'Virtual PCD 00 00' });
    try {
      expect(Array.from(pcsc.atr)).toEqual([0x3b, 0xe0, 0x00, 0xff, 0x81, 0x31, 0xfe, 0x45, 0x14]);
      const jpki = new JpkiReader(pcsc);
      await jpki.select();
      expect(await jpki.tokenLabel()).toBe('JPKIAPICCTOKEN2');
      expect(await jpki.readCertificate('authentication')).toEqual(card.authenticationCertificate);
      expect(await jpki.verifyPin('authentication', '1234')).toEqual({ result: 'verified' });
      const message = new TextEncoder().encode('via PC/SC');
      const signature = await jpki.sign('authentication', encodeDigestInfo('SHA-256', sha256(message)));
      expect(
        await verifyPkcs1Signature({
          subjectPublicKeyInfo: card.authenticationPublicKey,
          data: message,
          signature,
          hash: 'SHA-256',
        }),
      ).toBe(true);
    } finally {
      await pcsc.close();
    }
  });
  // Last in this block: it blocks the card's PIN.
  it('reports a blocked 利用者証明用 PIN as locked in the token flags; C_Login answers CKR_GENERAL_ERROR, as OpenSC maps 6984', async () => {
    const sw = async (hex: string) =>
      Buffer.from((await card.card.transmit(Uint8Array.from(Buffer.from(hex, 'hex')))).subarray(-2)).toString('hex');
    await sw('00a4040c0ad392f000260100000001');
    await sw('00a4020c020018');
    expect([await sw('002000800439393939'), await sw('002000800439393939'), await sw('002000800439393939')]).toEqual([
      '63c2',
      '63c1',
      '63c0',
    ]);
    // card-spec §2.2: 6984 for every VERIFY after the one that blocked, 63C0 to the query.
    expect(await sw('002000800431323334')).toBe('6984');
    expect(await sw('00200080')).toBe('63c0');
    card.card.reset();
    // OpenSC asks VERIFY with no data at bind (jpki_pin_cmd, SC_PIN_CMD_GET_INFO): 63C0 is 0 tries left,
    // which the PKCS#11 layer reports as CKF_USER_PIN_LOCKED.
    const slots = (await run('pkcs11-tool', ['--module', PKCS11, '--list-token-slots'])).out.split(/^Slot /m);
    const slot = (pin: string) => slots.find((block) => block.includes(`JPKI (${pin})`)) ?? '';
    expect(slot('User Authentication PIN')).toMatch(/token flags *:.*user PIN locked/);
    expect(slot('Digital Signature PIN')).toMatch(/token flags *:/);
    expect(slot('Digital Signature PIN')).not.toContain('locked');
    expect((await run('pkcs15-tool', ['--list-pins'])).out).toMatch(/User Authentication PIN[\s\S]*?Tries left *: 0/);
    // The login's VERIFY gets 6984, which OpenSC's ISO table maps to SC_ERROR_REF_DATA_NOT_USABLE and
    // its PKCS#11 layer to CKR_GENERAL_ERROR; only 6983 would be CKR_PIN_LOCKED (docs/card.md).
    const login = await run('pkcs11-tool', ['--module', PKCS11, '--slot-index', '0', '--login', '--pin', '1234', '-O']);
    expect(login.status).not.toBe(0);
    expect(login.out).toContain('C_Login failed: rv = CKR_GENERAL_ERROR');
    expect(await sw('00a4040c0ad392f000260100000001')).toBe('9000');
    await sw('00a4020c020018');
    expect(await sw('00200080')).toBe('63c0');
  });
});

/** Waits until pcscd sees a card with the JPKI ATR in the vpcd reader. */
async function cardInserted(): Promise<void> {
  for (let i = 0; i < 50 && !(await run('opensc-tool', ['-a'])).out.includes('3b:e0:00:ff:81:31:fe:45:14'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a phone provisioned from a card read over PC/SC, then itself in the vpcd reader for OpenSC', () => {
  let world: Awaited<ReturnType<typeof walletWorld>>;
  let phoneBridge: VpcdBridge;
  let authenticationPublicKey: Uint8Array;
  let bundle: Awaited<ReturnType<Awaited<ReturnType<typeof nodeWallet>>['wallet']['secureArea']['openCard']>>['bundle'];
  /** What `pkcs11-tool -O` printed for the issued card file, without a login and after the signing password. */
  const cardListing = { public: '', afterPassword: '' };
  /** Every APDU the phone answered, with its status word, in order. */
  const phoneTrace: { command: string; sw: string }[] = [];

  beforeAll(async () => {
    await bridge.close();
    world = await walletWorld('vpcd-phone', [3]);
    // The issued card in the reader: the wallet reads it through pcscd as it would a physical card.
    const physical = world.issuer.cards[0]!;
    const cardBridge = await VpcdBridge.connect({
      card: await openVirtualCard({
        document: physical.document,
        passphrase: physical.passphrase,
        store: () => new MemoryRetryCounterStore(),
      }),
      connectTimeoutMs: 15_000,
    });
    await cardInserted();
    cardListing.public = (await run('pkcs11-tool', ['--module', PKCS11, '--slot-index', '0', '-O'])).out;
    cardListing.afterPassword = (
      await run('pkcs11-tool', ['--module', PKCS11, '--slot-index', '1', '--login', '--pin', CARD_PINS.signing, '-O'])
    ).out;
    const { wallet } = await nodeWallet(world);
    const pcsc = await openPcscCard({ readerName: 'Virtual PCD 00 00' });
    try {
      await wallet.provision({ card: pcsc, cardPins: CARD_PINS, phonePins: PHONE_PINS });
    } finally {
      await pcsc.close();
      await cardBridge.close();
    }
    const opened = await wallet.secureArea.openCard();
    bundle = opened.bundle;
    authenticationPublicKey = parseCertificate(
      Buffer.from(bundle.jpki.authenticationCertificate, 'base64'),
    ).subjectPublicKeyInfo;
    const phoneCard = opened.card;
    const traced = {
      atr: phoneCard.atr,
      reset: () => phoneCard.reset(),
      transmit: async (command: Uint8Array) => {
        const response = await phoneCard.transmit(command);
        phoneTrace.push({
          command: Buffer.from(command).toString('hex'),
          sw: Buffer.from(response.subarray(-2)).toString('hex'),
        });
        return response;
      },
    };
    phoneBridge = await VpcdBridge.connect({ card: traced, connectTimeoutMs: 15_000 });
    await cardInserted();
  }, 90_000);
  afterAll(async () => {
    await phoneBridge?.close();
    await world?.dispose();
  });

  it("signs with the phone's authentication key after the phone's PIN, through PKCS#11", async () => {
    expect((await run('opensc-tool', ['-n'])).out).toContain('jpki');
    const data = join(work, 'phone.txt');
    const signature = join(work, 'phone.sig');
    writeFileSync(data, 'login challenge for the phone');
    const signed = await pkcs11Sign(PHONE_PINS.authentication, data, signature);
    expect(signed.status, signed.out).toBe(0);
    expect(
      await verifyPkcs1Signature({
        subjectPublicKeyInfo: authenticationPublicKey,
        data: new Uint8Array(readFileSync(data)),
        signature: new Uint8Array(readFileSync(signature)),
        hash: 'SHA-256',
      }),
    ).toBe(true);
  });

  it('lists the issued card file’s certificates through PKCS#11: authentication and both CA certificates, signing after the password', () => {
    for (const label of [
      'User Authentication Certificate',
      'User Authentication Certificate CA',
      'Digital Signature Certificate CA',
    ]) {
      expect(cardListing.public).toMatch(new RegExp(`Certificate Object; type = X.509 cert\\n {2}label: *${label}\\n`));
    }
    // The signing certificate is private (EF 0001 opens with the password): listed after the login.
    expect(cardListing.public).not.toMatch(/label: *Digital Signature Certificate\n/);
    expect(cardListing.afterPassword).toMatch(
      /Certificate Object; type = X.509 cert\n {2}label: *Digital Signature Certificate\n/,
    );
  });

  it('shows the phone’s four certificates to pkcs15-tool, which reads the CA certificates freely and 000A after the PIN', async () => {
    const listed = (await run('pkcs15-tool', ['--list-certificates'])).out;
    for (const label of ['User Authentication Certificate', 'Digital Signature Certificate']) {
      expect(listed).toContain(`X.509 Certificate [${label}]`);
      expect(listed).toContain(`X.509 Certificate [${label} CA]`);
    }
    const der = (pem: string) =>
      derFromPemOrDer(new TextEncoder().encode(pem.slice(pem.indexOf('-----BEGIN'))), 'CERTIFICATE');
    const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
    expect(base64(der((await run('pkcs15-tool', ['--read-certificate', '03'])).out))).toBe(
      bundle.jpki.authenticationCaCertificate,
    );
    expect(base64(der((await run('pkcs15-tool', ['--read-certificate', '04'])).out))).toBe(
      bundle.jpki.signingCaCertificate,
    );
    // card-spec §4.5: on the smartphone token EF 000A opens with the 利用者証明用 PIN.
    expect((await run('pkcs15-tool', ['--read-certificate', '01'])).out).not.toContain('-----BEGIN');
    const afterPin = await run('pkcs15-tool', [
      '--verify-pin',
      '--auth-id',
      '01',
      '--pin',
      PHONE_PINS.authentication,
      '--read-certificate',
      '01',
    ]);
    expect(base64(der(afterPin.out))).toBe(bundle.jpki.authenticationCertificate);
  });

  it('lists no certificate of the phone through PKCS#11: OpenSC reads 000A first, the phone answers 6982 as the token does, OpenSC stops', async () => {
    phoneTrace.length = 0;
    const listed = await run('pkcs11-tool', ['--module', PKCS11, '--slot-index', '0', '-O']);
    expect(listed.status, listed.out).toBe(0);
    expect(listed.out).not.toContain('Certificate Object');
    // OpenSC's jpki emulator declares 000A public (as on the card), so its PKCS#11 layer reads it
    // when the token binds; it gets 6982 and creates no further certificate object, so 000B and 0002
    // (free on the phone too) are never asked for (docs/card.md, "PKCS#11 through OpenSC").
    const selectOf = (fid: string) => phoneTrace.findIndex(({ command }) => command === `00a4020c02${fid}`);
    const at = selectOf('000a');
    expect(at).toBeGreaterThanOrEqual(0);
    expect(phoneTrace[at + 1]).toEqual({ command: '00b0000004', sw: '6982' });
    expect(selectOf('000b')).toBe(-1);
    expect(selectOf('0002')).toBe(-1);
  });
});
