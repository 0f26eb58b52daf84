import { copyFileSync, rmSync } from 'node:fs';

import { JpkiReader } from '@openmyna/card';
import { changePhone } from '@openmyna/issuer';
import { verifyCmsSignature } from '@openmyna/pki';
import { describe, expect, it } from 'vitest';

import { registryPerson } from '../../../../test-support/issuer-fixtures.js';
import {
  answerAccountOpening,
  cardTransport,
  CARD_PINS,
  nodeWallet,
  PHONE_PINS,
  provisionedNodeWallet,
  type WalletWorld,
} from '../../../../test-support/wallet-fixtures.js';
import { suiteWalletWorld } from '../../../../test-support/wallet-world-suite.js';

const SEED = 'remote-secure-area';
const PERSONS = [3, 4, 5] as const;
const LOGIN = { value: 'x'.repeat(32), clientId: 'https://rp.example' };

describe("a phone whose keys, PIN data and counters are in the issuer's remote secure area", () => {
  const world = suiteWalletWorld(SEED, PERSONS);

  /** A Node wallet provisioned into the remote secure area with card `index`. */
  const remotePhone = async (index: number) => {
    const phone = await nodeWallet(world(), undefined, undefined, { secureArea: 'remote' });
    await phone.wallet.provision({
      card: await cardTransport(world().issuer.cards[index]!),
      cardPins: CARD_PINS,
      phonePins: PHONE_PINS,
    });
    return phone;
  };
  /** The same phone file opened again (a restart, or a copy put back). */
  const reopen = async (path: string, passphrase: string) => (await nodeWallet(world(), path, passphrase)).wallet;
  const devices = () => world().issuer.context.db.selectFrom('secure_area_devices').selectAll().execute();
  const counter = async (phoneId: string, reference: string) => {
    const device = (await devices()).find((row) => row.phone_id === phoneId)!;
    const row = await world()
      .issuer.context.db.selectFrom('secure_area_counters')
      .select('tries_left')
      .where('device_id', '=', device.id)
      .where('reference', '=', reference)
      .executeTakeFirstOrThrow();
    return Number(row.tries_left);
  };

  it('provisions into it and signs, logs in and reads the 入力補助 records through the remote applets', async () => {
    const phone = await remotePhone(0);
    expect(await phone.wallet.secureArea.remote()).toBe(true);
    const { phoneId } = await phone.wallet.holder();
    const device = (await devices()).find((row) => row.phone_id === phoneId);
    expect(device?.status).toBe('active');
    // The phone keeps no counters of its own: the applets' counters are the service's.
    expect((await phone.wallet.secureArea.openCard()).counters.size).toBe(0);

    const content = new TextEncoder().encode('契約書');
    const signature = await phone.wallet.signDocument(content, PHONE_PINS.signing);
    const bundle = await phone.wallet.secureArea.bundle();
    const verified = await verifyCmsSignature({ signedData: signature, detachedContent: content });
    expect(verified.status).toBe('valid');
    expect(Buffer.from(verified.signer!.der).toString('base64')).toBe(bundle.jpki.signingCertificate);
    await expect(phone.wallet.signLogin(LOGIN, PHONE_PINS.authentication)).resolves.toBeDefined();
    await expect(phone.wallet.signDocument(content, 'WRONG1')).rejects.toMatchObject({ code: 'ERR_PIN_WRONG' });
    expect(await counter(phoneId, 'jpki/001B')).toBe(4);

    // An account opening at a relying party: the document signed and the 入力補助 records read, each
    // behind its PIN in the remote applets; the relying party verifies all of it as from any phone.
    const { answered, result } = await answerAccountOpening(world(), phone.wallet);
    expect(answered).toBeUndefined();
    expect(result.result?.status).toBe('valid');
    expect(result.claims?.['kenhojo']?.['my_number']).toBe(registryPerson(SEED, PERSONS[0]).input.myNumber);
    expect(await counter(phoneId, 'jpki/001B')).toBe(5);
  });

  it('gives back no try when the phone file is replaced by an older copy or deleted; the card resets the PIN', async () => {
    const phone = await remotePhone(1);
    const { phoneId } = await phone.wallet.holder();
    const backup = `${phone.path}.backup`;
    copyFileSync(phone.path, backup);
    for (let i = 0; i < 2; i++)
      await expect(phone.wallet.signLogin(LOGIN, '0000')).rejects.toMatchObject({ code: 'ERR_PIN_WRONG' });
    expect(await counter(phoneId, 'jpki/0018')).toBe(1);

    // The thief puts back the copy made before the guesses: the counter stays where it was.
    copyFileSync(backup, phone.path);
    const restored = await reopen(phone.path, phone.passphrase);
    // The remote applet's last try locks the PIN, and the phone says so on that very try.
    await expect(restored.signLogin(LOGIN, '0000')).rejects.toMatchObject({
      code: 'ERR_PIN_BLOCKED',
      pin: 'authenticationPin',
      triesLeft: 0,
    });
    await expect(restored.signLogin(LOGIN, PHONE_PINS.authentication)).rejects.toMatchObject({
      code: 'ERR_PIN_BLOCKED',
    });
    expect((await restored.history()).slice(-2).map((entry) => entry.result)).toEqual(['pin-locked', 'pin-locked']);
    expect(await counter(phoneId, 'jpki/0018')).toBe(0);

    // Deleting every file of the phone: a new phone file has no device key, and the counters stay.
    rmSync(phone.path);
    rmSync(backup);
    const fresh = await reopen(phone.path, phone.passphrase);
    await expect(fresh.signLogin(LOGIN, PHONE_PINS.authentication)).rejects.toMatchObject({
      code: 'ERR_WALLET_STATE',
    });
    expect(await counter(phoneId, 'jpki/0018')).toBe(0);
  });

  it('(the limit it removes) a local phone restored from an older copy of its file has its tries back', async () => {
    const phone = await provisionedNodeWallet(world(), 2);
    const backup = `${phone.path}.backup`;
    copyFileSync(phone.path, backup);
    for (let i = 0; i < 2; i++)
      await expect(phone.wallet.signLogin(LOGIN, '0000')).rejects.toMatchObject({ code: 'ERR_PIN_WRONG' });
    copyFileSync(backup, phone.path);
    const restored = await reopen(phone.path, phone.passphrase);
    await expect(restored.signLogin(LOGIN, '0000')).rejects.toMatchObject({ code: 'ERR_PIN_WRONG', triesLeft: 2 });
  });

  it('resets a blocked PIN with the card and changes a PIN, both in the service', async () => {
    const phone = await remotePhone(2);
    const { phoneId } = await phone.wallet.holder();
    for (let i = 0; i < 3; i++) await phone.wallet.signLogin(LOGIN, '0000').catch(() => undefined);
    await expect(phone.wallet.signLogin(LOGIN, PHONE_PINS.authentication)).rejects.toMatchObject({
      code: 'ERR_PIN_BLOCKED',
    });
    await phone.wallet.resetPins({
      card: await cardTransport(world().issuer.cards[2]!),
      cardSigningPassword: CARD_PINS.signing,
      pins: { authenticationPin: '2580' },
    });
    expect(await counter(phoneId, 'jpki/0018')).toBe(3);
    await expect(phone.wallet.signLogin(LOGIN, '2580')).resolves.toBeDefined();

    await phone.wallet.changePin('authenticationPin', '2580', '1357');
    await expect(phone.wallet.signLogin(LOGIN, '2580')).rejects.toMatchObject({ code: 'ERR_PIN_WRONG' });
    await expect(phone.wallet.signLogin(LOGIN, '1357')).resolves.toBeDefined();
    expect(await counter(phoneId, 'jpki/0018')).toBe(3);
  });

  it('serves PC software over the session: APDUs reach the remote applets, a reset clears their security state', async () => {
    const provisioned = await remotePhoneFromCard(world(), 0);
    const { card } = await provisioned.wallet.secureArea.openCard();
    // MF-level GET DATA 7F21 (extended Le): the CV certificate over the phone's 券面 key reached the service.
    const cv = await card.transmit(Uint8Array.from([0x00, 0xca, 0x7f, 0x21, 0x00, 0x00, 0x00]));
    expect(cv.slice(-2)).toEqual(Uint8Array.from([0x90, 0x00]));
    const reader = new JpkiReader(card);
    await reader.select();
    expect((await reader.verifyPin('authentication', PHONE_PINS.authentication)).result).toBe('verified');
    const certificate = await reader.readCertificate('authentication');
    expect(certificate.length).toBeGreaterThan(500);
    card.reset();
    await reader.select();
    // After the reset the PIN must be entered again before the key signs.
    await expect(reader.sign('authentication', new Uint8Array(51))).rejects.toThrow();

    // A session the service ended (idle past its limit, on the issuer's clock) ran nothing: the card
    // sends the APDU again in a new session, with no PIN verified.
    const clock = world().issuer.clock();
    world().issuer.setClock(new Date(clock.getTime() + 6 * 60_000));
    try {
      await reader.select();
      await expect(reader.readCertificate('authentication')).rejects.toThrow(/6982/);
      expect((await reader.verifyPin('authentication', PHONE_PINS.authentication)).result).toBe('verified');
      expect(await reader.readCertificate('authentication')).toEqual(certificate);
    } finally {
      world().issuer.setClock(clock);
    }
  });

  it('wipes: the keys at the issuer are destroyed with the phone file', async () => {
    const phone = await remotePhone(0);
    const { phoneId } = await phone.wallet.holder();
    await phone.wallet.wipe();
    const device = (await devices()).find((row) => row.phone_id === phoneId);
    expect(device).toMatchObject({ status: 'wiped', sealed_keys: null, sealed_credential: null });
  });

  it('stops at once when the operator revokes it: its keys are gone, and it says so', async () => {
    const phone = await remotePhone(2);
    const { phoneId } = await phone.wallet.holder();
    await changePhone(world().issuer.context, phoneId, 'revoke', 'operator', '紛失の届出');
    expect((await devices()).find((row) => row.phone_id === phoneId)?.status).toBe('wiped');
    await expect(phone.wallet.signLogin(LOGIN, PHONE_PINS.authentication)).rejects.toMatchObject({
      code: 'ERR_PHONE_REVOKED',
    });
  });

  it('loses its keys at the issuer when it is revoked (the phone asked, with its PIN)', async () => {
    const phone = await remotePhone(1);
    const { phoneId } = await phone.wallet.holder();
    await phone.wallet.changeLifecycle('revoke', PHONE_PINS.authentication);
    const device = (await devices()).find((row) => row.phone_id === phoneId);
    expect(device).toMatchObject({ status: 'wiped', sealed_keys: null, sealed_credential: null });
    const counters = await world()
      .issuer.context.db.selectFrom('secure_area_counters')
      .selectAll()
      .where('device_id', '=', device!.id)
      .execute();
    expect(counters).toEqual([]);
    expect(await phone.wallet.provisioned()).toBe(false);
  });

  /** The wallet's `auto` choice takes the remote secure area when the issuer offers it. */
  async function remotePhoneFromCard(w: WalletWorld, index: number) {
    const phone = await nodeWallet(w, undefined, undefined, { secureArea: 'auto' });
    await phone.wallet.provision({
      card: await cardTransport(w.issuer.cards[index]!),
      cardPins: CARD_PINS,
      phonePins: PHONE_PINS,
    });
    expect(await phone.wallet.secureArea.remote()).toBe(true);
    return phone;
  }
});
