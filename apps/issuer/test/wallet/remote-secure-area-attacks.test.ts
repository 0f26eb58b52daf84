/**
 * Security review of the remote secure area (issue 23), from the phone's side and over real HTTP.
 * Each test was a finding of an adversarial review (it failed) and now states the behaviour that fixed
 * it; N1–N4 are what the review checked and found sound. Helpers at the bottom: a fetch that watches (and can drop) secure-area
 * traffic, and a raw session driver for an attacker who holds the phone's device-bound key.
 */
import { copyFileSync } from 'node:fs';
import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';

import { sha256 } from '@noble/hashes/sha2.js';
import { changePhone, createIssuerApp, SecureAreaService } from '@openmyna/issuer';
import pino from 'pino';
import { JpkiReader, secureAreaSigningInput, type CardTransport, type SecureAreaOperation } from '@openmyna/card';
import { base64UrlEncode } from '@openmyna/core';
import type { EcPrivateKey } from '@openmyna/mdoc';
import { encodeDigestInfo, parseCertificate, signCms, verifyCmsSignature } from '@openmyna/pki';
import { sql } from '@openmyna/storage';
import { cardKeySigner, RemoteSecureAreaSession, type RemoteSecureAreaBinding } from '@openmyna/wallet';
import { describe, expect, it } from 'vitest';

import { registryPerson } from '../../../../test-support/issuer-fixtures.js';
import {
  answerAccountOpening,
  cardTransport,
  CARD_PINS,
  nodeWallet,
  PHONE_PINS,
} from '../../../../test-support/wallet-fixtures.js';
import { suiteWalletWorld } from '../../../../test-support/wallet-world-suite.js';

const SEED = 'secure-area-attacks';
const PERSONS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14] as const;
const LOGIN = { value: 'y'.repeat(32), clientId: 'https://rp.example' };
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

describe('attacks on the remote secure area (phone side, real HTTP)', () => {
  const world = suiteWalletWorld(SEED, PERSONS, 300_000);

  const db = () => world().issuer.context.db;
  const deviceOf = async (deviceId: string) =>
    db().selectFrom('secure_area_devices').selectAll().where('id', '=', deviceId).executeTakeFirstOrThrow();
  const counter = async (deviceId: string, reference: string) =>
    Number(
      (
        await db()
          .selectFrom('secure_area_counters')
          .select('tries_left')
          .where('device_id', '=', deviceId)
          .where('reference', '=', reference)
          .executeTakeFirstOrThrow()
      ).tries_left,
    );

  /** A remote phone for card `index`, its fetch watched (and steerable) by the test. */
  const remotePhone = async (index: number, watch = watching(world().walletFetch), provision = true) => {
    const phone = await nodeWallet(world(), undefined, undefined, { secureArea: 'remote', fetch: watch.fetch });
    if (provision)
      await phone.wallet.provision({
        card: await cardTransport(world().issuer.cards[index]!),
        cardPins: CARD_PINS,
        phonePins: PHONE_PINS,
      });
    return { ...phone, watch };
  };
  /** The phone file's remote binding (installed, else pending) and its device-bound key. */
  const bindingOf = async (storage: Awaited<ReturnType<typeof nodeWallet>>['storage']) => {
    const record = ((await storage.read('credential')) ?? (await storage.read('pending-keys'))) as {
      remote: RemoteSecureAreaBinding;
    };
    const key = await storage.deviceKey(record.remote.keyId);
    return { binding: record.remote, key: key! };
  };

  it('F1 keys the issuer certified make no more proofs of possession: a lost install leaves no PIN-less signing', async () => {
    // The install message is lost (a network attacker drops it, or the phone dies after `issuing`):
    // the issuer has an active phone with certificates over the secure area's keys, which stay pending.
    const watch = watching(world().walletFetch);
    watch.drop.add('install');
    const phone = await remotePhone(0, watch, false);
    await expect(
      phone.wallet.provision({
        card: await cardTransport(world().issuer.cards[0]!),
        cardPins: CARD_PINS,
        phonePins: PHONE_PINS,
      }),
    ).rejects.toMatchObject({ code: 'ERR_NETWORK' });
    const bundle = watch.dropped.find((op) => op['op'] === 'install')!['bundle'] as {
      phoneId: string;
      jpki: { signingCertificate: string };
    };
    const { binding, key } = await bindingOf(phone.storage);
    // Provisioning certified the device for the phone: its keys make no more proofs of possession.
    expect((await deviceOf(binding.deviceId)).status).toBe('certified');
    const phoneRow = await db()
      .selectFrom('phones')
      .selectAll()
      .where('id', '=', bundle.phoneId)
      .executeTakeFirstOrThrow();
    expect(phoneRow.status).toBe('active');

    // Whoever holds the phone file (a thief with a copy and its passphrase, malware in the wallet)
    // now has the holder's JPKI signing key without the 署名用パスワード.
    const session = new RemoteSecureAreaSession(binding, key, world().walletFetch);
    const certificate = Buffer.from(bundle.jpki.signingCertificate, 'base64');
    const pendingSigning = {
      signPkcs1: async (digestInfo: Uint8Array) =>
        new Uint8Array(
          Buffer.from(
            (
              await session.send<{ signature: string }>({
                op: 'pending-sign',
                key: 'signing',
                digestInfo: b64(digestInfo),
              })
            ).signature,
            'base64',
          ),
        ),
    };
    const content = new TextEncoder().encode('連帯保証契約書: 私は一億円の債務を保証します');
    const outcome = await signCms({
      content,
      signer: cardKeySigner(pendingSigning, b64(parseCertificate(certificate).subjectPublicKeyInfo)),
      certificate,
      signingTime: new Date(),
    }).then(
      (cms) => ({ cms }),
      (error: unknown) => ({ error }),
    );
    if ('cms' in outcome) {
      // What happens today: a valid CMS signature by the holder's JPKI signing certificate.
      const verified = await verifyCmsSignature({ signedData: outcome.cms, detachedContent: content });
      expect(verified.status).toBe('valid');
    }
    // A secure area would refuse a pending key once a certificate exists for it.
    expect(outcome, 'pending-sign signed a document with a certified JPKI signing key, without a PIN').toHaveProperty(
      'error',
    );
  });

  it('F1b revoking a phone whose install never came destroys its keys too', async () => {
    const watch = watching(world().walletFetch);
    watch.drop.add('install');
    const phone = await remotePhone(1, watch, false);
    await phone.wallet
      .provision({ card: await cardTransport(world().issuer.cards[1]!), cardPins: CARD_PINS, phonePins: PHONE_PINS })
      .catch(() => undefined);
    const phoneId = (watch.dropped.find((op) => op['op'] === 'install')!['bundle'] as { phoneId: string }).phoneId;
    const { binding, key } = await bindingOf(phone.storage);
    await changePhone(world().issuer.context, phoneId, 'revoke', 'admin', 'the holder reported the phone stolen');
    const device = await deviceOf(binding.deviceId);
    const digestInfo = b64(encodeDigestInfo('SHA-256', sha256(new TextEncoder().encode('after revocation'))));
    const signed = await new RemoteSecureAreaSession(binding, key, world().walletFetch)
      .send({ op: 'pending-sign', key: 'authentication', digestInfo })
      .then(
        () => 'signed',
        () => 'refused',
      );
    expect({ status: device.status, keysKept: device.sealed_keys !== null, signed }).toEqual({
      status: 'wiped',
      keysKept: false,
      signed: 'refused',
    });
  });

  it('F2 a suspended (lost) phone’s remote applets neither sign nor disclose the 入力補助 records', async () => {
    const phone = await remotePhone(2);
    const { phoneId } = await phone.wallet.holder();
    await changePhone(world().issuer.context, phoneId, 'suspend', 'admin', 'the holder reported the phone lost');
    const signature = await phone.wallet.signDocument(new TextEncoder().encode('契約書'), PHONE_PINS.signing).then(
      () => 'signed',
      () => 'refused',
    );
    const myNumber = await phone.wallet.secureArea
      .withCard(async (card) => {
        await card.kenhojo.select();
        await card.kenhojo.verify('pin', PHONE_PINS.kenhojo);
        return card.kenhojo.readMyNumberFile();
      })
      .then(
        () => 'disclosed',
        () => 'refused',
      );
    // A relying party does not accept either (jpki_sign is checked by OCSP: on hold; jp_kenhojo must be
    // bound to that signature) — checked in N4 below. What the service still does for the thief is
    // shown here: the keys work and the records are read, though the issuer could stop both.
    expect({ signature, myNumber }).toEqual({ signature: 'refused', myNumber: 'refused' });
  });

  it('F3 a wipe that never reaches the service is reported as failed; revoking then stops an earlier copy of the phone file', async () => {
    const phone = await remotePhone(3);
    const { binding } = await bindingOf(phone.storage);
    copyFileSync(phone.path, `${phone.path}.copy`); // the thief's copy (with the passphrase)
    phone.watch.drop.add('wipe');
    const wiped = await phone.wallet.wipe().then(
      () => 'reported done',
      () => 'reported failed',
    );
    // The holder is told: the phone is wiped, the keys at the issuer are not, revoke the phone.
    expect(wiped).toBe('reported failed');
    expect((await phone.wallet.history()).at(-1)).toMatchObject({ kind: 'wipe', result: 'failed' });
    const device = await deviceOf(binding.deviceId);
    expect(device.status).toBe('active');
    // Revoking (the holder with the card, or the operator) destroys them: the thief's copy stops.
    await changePhone(world().issuer.context, device.phone_id!, 'revoke', 'admin', 'the holder wiped a phone it lost');
    const copy = await reopen(`${phone.path}.copy`, phone.passphrase);
    const signed = await copy.signDocument(new TextEncoder().encode('x'), PHONE_PINS.signing).then(
      () => 'signed',
      () => 'refused',
    );
    expect({ status: (await deviceOf(binding.deviceId)).status, signed }).toEqual({
      status: 'wiped',
      signed: 'refused',
    });
  });

  it('F4 the security state ends with the operation: after signDocument (and RemoteCard.reset) the session signs nothing more', async () => {
    const phone = await remotePhone(4);
    const { key } = await bindingOf(phone.storage);
    const bundle = await phone.wallet.secureArea.bundle();
    await phone.wallet.signDocument(new TextEncoder().encode('一回だけの署名'), PHONE_PINS.signing);
    // The operation is over; the wallet said "every approval asks for its PIN again".
    const last = phone.watch.sessions.at(-1)!;
    const reader = new JpkiReader(rawSession(world().issuerUrl, last, phone.watch.sentTo(last.sessionId), key));
    const digest = sha256(new TextEncoder().encode('二回目: 誰も承認していない文書'));
    const outcome = await reader.sign('signing', encodeDigestInfo('SHA-256', digest)).then(
      (signature) => ({ signature }),
      (error: unknown) => ({ error }),
    );
    if ('signature' in outcome) {
      const spki = parseCertificate(Buffer.from(bundle.jpki.signingCertificate!, 'base64')).subjectPublicKeyInfo;
      const publicKey = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
      expect(
        verifySignature(
          'sha256',
          new TextEncoder().encode('二回目: 誰も承認していない文書'),
          publicKey,
          outcome.signature,
        ),
      ).toBe(true);
    }
    // PC software: RemoteCard.reset() only forgets the session locally; no `reset` op is ever sent.
    const { card } = await phone.wallet.secureArea.openCard();
    const pc = new JpkiReader(card);
    await pc.select();
    expect((await pc.verifyPin('signing', PHONE_PINS.signing)).result).toBe('verified');
    card.reset();
    expect(phone.watch.ops().filter((op) => op['op'] === 'reset')).toEqual([]);
    expect(outcome, 'the session signed after the operation ended, no password').toHaveProperty('error');
  });

  it('F5 a PIN-reset authorization works once in the service: replayed, it sets nothing', async () => {
    const phone = await remotePhone(5);
    const { binding, key } = await bindingOf(phone.storage);
    for (let i = 0; i < 3; i++) await phone.wallet.signLogin(LOGIN, '0000').catch(() => undefined);
    await phone.wallet.resetPins({
      card: await cardTransport(world().issuer.cards[5]!),
      cardSigningPassword: CARD_PINS.signing,
      pins: { authenticationPin: '2580' },
    });
    const reset = phone.watch.ops().find((op) => op['op'] === 'reset-pins')!;
    // Within its 5 minutes, the same authorization and nonce again, in a new session of the device key.
    const replay = await new RemoteSecureAreaSession(binding, key, world().walletFetch)
      .send({
        op: 'reset-pins',
        authorization: reset['authorization'] as string,
        phoneNonce: reset['phoneNonce'] as string,
        pins: { 'jpki/0018': '9999' },
      })
      .then(
        () => 'accepted',
        () => 'refused',
      );
    const stillOwners = await phone.wallet.signLogin(LOGIN, '2580').then(
      () => true,
      () => false,
    );
    expect({ replay, stillOwners, tries: await counter(binding.deviceId, 'jpki/0018') }).toEqual({
      replay: 'refused',
      stillOwners: true,
      tries: 3,
    });
  });

  it("F6 'auto' silently provisions local keys when the probe GET /secure-area fails (a network attacker downgrades it)", async () => {
    const base = world().walletFetch;
    const blocking = ((input: string | URL | Request, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.endsWith('/secure-area')) return Promise.reject(new TypeError('fetch failed'));
      return base(input, init);
    }) as typeof fetch;
    const phone = await nodeWallet(world(), undefined, undefined, { secureArea: 'auto', fetch: blocking });
    const outcome = await phone.wallet
      .provision({ card: await cardTransport(world().issuer.cards[6]!), cardPins: CARD_PINS, phonePins: PHONE_PINS })
      .then(
        async () => ((await phone.wallet.secureArea.remote()) ? 'remote' : 'local'),
        () => 'refused',
      );
    // Local keys: the RSA keys are in the phone file, and restoring it gives back tries (docs/wallet.md).
    expect(outcome).not.toBe('local');
  });

  it('F7 a reset that fails half-way (reset-pins) leaves the blocked PIN blocked and nothing of the new value', async () => {
    const phone = await remotePhone(7);
    const { binding } = await bindingOf(phone.storage);
    for (let i = 0; i < 3; i++) await phone.wallet.signLogin(LOGIN, '0000').catch(() => undefined);
    expect(await counter(binding.deviceId, 'jpki/0018')).toBe(0);
    // The reset's transaction fails at its last statement (the counters), after the new reference data
    // was written in it: a trigger stands for the crash.
    await sql`CREATE TRIGGER crash_reset BEFORE UPDATE ON secure_area_counters BEGIN SELECT RAISE(ABORT, 'simulated crash'); END`.execute(
      db(),
    );
    try {
      await expect(
        phone.wallet.resetPins({
          card: await cardTransport(world().issuer.cards[7]!),
          cardSigningPassword: CARD_PINS.signing,
          pins: { authenticationPin: '2580' },
        }),
      ).rejects.toMatchObject({ serverCode: 'ERR_INTERNAL' });
    } finally {
      await sql`DROP TRIGGER crash_reset`.execute(db());
    }
    const tries = await counter(binding.deviceId, 'jpki/0018');
    const oldPin = await phone.wallet.signLogin(LOGIN, PHONE_PINS.authentication).then(
      () => 'accepted',
      (error: { code?: string }) => error.code,
    );
    // Secure: the blocked PIN stays blocked until its new value is stored with the tries.
    expect({ tries, oldPin }).toEqual({ tries: 0, oldPin: 'ERR_PIN_BLOCKED' });
    // Nothing of the reset stayed: the new value does not open the PIN either.
    await expect(phone.wallet.signLogin(LOGIN, '2580')).rejects.toMatchObject({ code: 'ERR_PIN_BLOCKED' });
  });

  it('F8 an install racing a revocation leaves no active device holding the revoked phone’s keys', async () => {
    const watch = watching(world().walletFetch);
    const phone = await remotePhone(8, watch, false);
    // When the install message arrives, an operator revokes the phone between the install's checks
    // (phone active, certificates issued) and its transaction.
    const context = world().issuer.context;
    watch.onSend = (op) => {
      if (op['op'] !== 'install') return;
      const phoneId = (op['bundle'] as { phoneId: string }).phoneId;
      beforeNextTransaction(context, () => changePhone(context, phoneId, 'revoke', 'admin', 'reported stolen'));
    };
    const provisioned = await phone.wallet
      .provision({ card: await cardTransport(world().issuer.cards[8]!), cardPins: CARD_PINS, phonePins: PHONE_PINS })
      .then(
        () => 'provisioned',
        () => 'refused',
      );
    const { binding } = await bindingOf(phone.storage);
    const device = await deviceOf(binding.deviceId);
    const phoneRow = await db()
      .selectFrom('phones')
      .selectAll()
      .where('id', '=', device.phone_id ?? '')
      .executeTakeFirst();
    const signed = await phone.wallet.signDocument(new TextEncoder().encode('x'), PHONE_PINS.signing).then(
      () => 'signed',
      () => 'refused',
    );
    expect({ provisioned, phone: phoneRow?.status ?? 'revoked', device: device.status, signed }).toEqual({
      provisioned: 'refused',
      phone: 'revoked',
      device: expect.not.stringMatching(/^active$/) as unknown,
      signed: 'refused',
    });
  });

  it('F9 install checks the whole bundle against the registry: a forged 住民票コード, municipality or expiry is refused, a malformed record is no 500', async () => {
    const watch = watching(world().walletFetch);
    watch.drop.add('install');
    const phone = await remotePhone(9, watch, false);
    await phone.wallet
      .provision({ card: await cardTransport(world().issuer.cards[9]!), cardPins: CARD_PINS, phonePins: PHONE_PINS })
      .catch(() => undefined);
    const bundle = watch.dropped.find((op) => op['op'] === 'install')!['bundle'] as Record<string, unknown> & {
      kenhojo: Record<string, string>;
    };
    const { binding, key } = await bindingOf(phone.storage);
    const session = new RemoteSecureAreaSession(binding, key, world().walletFetch);
    const pins = { ...PHONE_PINS };
    // A record that does not decode: the phone's refusal is an internal error, not ERR_SECURE_AREA_BUNDLE.
    const malformed = await session
      .send({ op: 'install', bundle: { ...bundle, kenhojo: { ...bundle.kenhojo, myNumberFile: 'AAAA' } }, pins })
      .then(
        () => 'installed',
        (error: { serverCode?: string }) => error.serverCode,
      );
    // Forged records the issuer never issued.
    const forged = await session
      .send({
        op: 'install',
        bundle: {
          ...bundle,
          juki: { residentCode: '99999999999' },
          municipalityCode: '99999',
          cardExpiry: '2099-12-31',
        },
        pins,
      })
      .then(
        () => 'installed',
        (error: { serverCode?: string }) => error.serverCode,
      );
    expect({ malformed, forged }).toEqual({ malformed: 'ERR_SECURE_AREA_BUNDLE', forged: 'ERR_SECURE_AREA_BUNDLE' });
  });

  it('F10 two instances on one database behind a balancer routing by device id: the phone provisions and signs', async () => {
    const second = createIssuerApp({
      context: world().issuer.context,
      authorities: world().issuer.authorities.jpki,
      cardFace: world().issuer.authorities.authorities.cardFace,
      mdoc: world().issuer.authorities.authorities.mdoc,
      pinResetAuthority: world().issuer.authorities.authorities.pinResetAuthority,
      adminToken: 'unused-admin-token',
      logger: pino({ level: 'silent' }),
    });
    let turn = 0;
    // A load balancer in front of two instances: it takes turns for anything that names no device, and
    // routes /secure-area/devices/{id}/… by the device id (haproxy: a hash of that path segment).
    const balanced = ((input: string | URL | Request, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input);
      const path = new URL(url).pathname;
      const device = /^\/secure-area\/devices\/([^/]+)\//.exec(path)?.[1];
      const toSecond =
        device === undefined ? turn++ % 2 === 1 : createHash('sha256').update(device).digest()[0]! % 2 === 1;
      if (path.startsWith('/secure-area/') && toSecond) return second.fetch(new Request(url, init));
      return world().walletFetch(input, init);
    }) as typeof fetch;
    const phone = await nodeWallet(world(), undefined, undefined, { secureArea: 'remote', fetch: balanced });
    const outcome = await phone.wallet
      .provision({ card: await cardTransport(world().issuer.cards[10]!), cardPins: CARD_PINS, phonePins: PHONE_PINS })
      .then(
        () => 'provisioned',
        (error: { serverCode?: string }) => error.serverCode,
      );
    expect(outcome).toBe('provisioned');
    await expect(phone.wallet.signLogin(LOGIN, PHONE_PINS.authentication)).resolves.toBeDefined();
  });

  it('F11 a PIN change racing a PIN reset is refused (stale data): the reset signing password stands', async () => {
    const phone = await remotePhone(11);
    const { binding } = await bindingOf(phone.storage);
    const context = world().issuer.context;
    let reset: Promise<void> | undefined;
    // When the CHANGE REFERENCE DATA of the 利用者証明用 PIN has read the credential and is about to
    // write it, the holder's (or anyone's) reset of the signing password completes.
    phone.watch.onSend = (op) => {
      if (op['op'] !== 'apdu' || Buffer.from(op['apdu'] as string, 'base64')[1] !== 0x24) return;
      beforeNextWrite(context, 'secure_area_devices', async () => {
        reset = phone.wallet.resetPins({
          card: await cardTransport(world().issuer.cards[11]!),
          cardSigningPassword: CARD_PINS.signing,
          pins: { signingPassword: 'RESET2027' },
        });
        await reset;
      });
    };
    // The change read the data before the reset wrote it: its write is refused, and the holder tries again.
    const changed = await phone.wallet.changePin('authenticationPin', PHONE_PINS.authentication, '1470').then(
      () => 'changed',
      (error: { serverCode?: string }) => error.serverCode,
    );
    await reset;
    expect(changed).toBe('ERR_SECURE_AREA_STATE');
    const oldPassword = await phone.wallet.signDocument(new TextEncoder().encode('x'), PHONE_PINS.signing).then(
      () => 'accepted',
      (error: { code?: string }) => error.code,
    );
    const newPassword = await phone.wallet.signDocument(new TextEncoder().encode('x'), 'RESET2027').then(
      () => 'accepted',
      (error: { code?: string }) => error.code,
    );
    expect({ oldPassword, newPassword, tries: await counter(binding.deviceId, 'jpki/001B') }).toEqual({
      oldPassword: 'ERR_PIN_WRONG',
      newPassword: 'accepted',
      tries: 5,
    });
  });

  it('F12 a wipe is one transaction: a crash in it leaves no active device with its keys', async () => {
    const phone = await remotePhone(14);
    const { binding } = await bindingOf(phone.storage);
    copyFileSync(phone.path, `${phone.path}.copy`);
    // The service dies after `delete from secure_area_counters`, before the device row is updated.
    const restore = crashOnce(world().issuer.context, 'updateTable', 'secure_area_devices');
    await phone.wallet.wipe(); // reported done (F3)
    restore();
    const device = await deviceOf(binding.deviceId);
    const copy = await reopen(`${phone.path}.copy`, phone.passphrase);
    const presence = await copy.secureArea
      .withCard(async (card) => {
        await card.kenkaku.select();
        return card.kenkaku.proveCardPresence(new Uint8Array(32).fill(1));
      })
      .then(
        () => 'signed',
        () => 'refused',
      );
    expect({ status: device.status, keys: device.sealed_keys !== null, presence }).toEqual({
      status: 'wiped',
      keys: false,
      presence: 'refused',
    });
  });

  // ---- Checked and found to hold (these pass) -------------------------------------------------

  it('N1 PIN guessing: 2 instances × concurrent sessions × 8 wrong VERIFYs each pay exactly 3 tries; then even the right PIN is blocked', async () => {
    const phone = await remotePhone(12);
    const { binding, key } = await bindingOf(phone.storage);
    const instances = [0, 1].map(
      () =>
        new SecureAreaService(world().issuer.context, {
          pinResetAuthority: world().issuer.authorities.authorities.pinResetAuthority.publicJwk,
        }),
    );
    const readers = await Promise.all(
      instances.map(async (service) => {
        const session = await service.openSession(binding.deviceId);
        let sequence = 0;
        const transport: CardTransport = {
          async transmit(command) {
            const message = new TextEncoder().encode(
              JSON.stringify({ op: 'apdu', apdu: b64(command), sequence: sequence++ }),
            );
            const signature = await key.signEs256(
              secureAreaSigningInput(session.sessionId, session.challenge, message),
            );
            const { response } = await service.message(
              session.sessionId,
              base64UrlEncode(message),
              base64UrlEncode(signature),
            );
            return new Uint8Array(Buffer.from(response as string, 'base64'));
          },
        };
        const reader = new JpkiReader(transport);
        await reader.select();
        return reader;
      }),
    );
    const guesses = (
      await Promise.all(
        readers.map((reader) =>
          Promise.all(Array.from({ length: 8 }, (_, i) => reader.verifyPin('authentication', String(1000 + i)))),
        ),
      )
    ).flat();
    expect(guesses.filter((result) => result.result === 'wrong').length).toBe(3);
    expect(guesses.filter((result) => result.result === 'verified')).toEqual([]);
    expect(await counter(binding.deviceId, 'jpki/0018')).toBe(0);
    expect((await readers[0]!.verifyPin('authentication', PHONE_PINS.authentication)).result).toBe('blocked');
  });

  it("N2 someone else's bundle (or one spliced from two phones) is refused at install", async () => {
    const pendingPhone = async (index: number) => {
      const watch = watching(world().walletFetch);
      watch.drop.add('install');
      const phone = await remotePhone(index, watch, false);
      await phone.wallet
        .provision({
          card: await cardTransport(world().issuer.cards[index]!),
          cardPins: CARD_PINS,
          phonePins: PHONE_PINS,
        })
        .catch(() => undefined);
      const bundle = watch.dropped.find((op) => op['op'] === 'install')!['bundle'] as Record<string, unknown> & {
        jpki: Record<string, string>;
      };
      return { bundle, ...(await bindingOf(phone.storage)) };
    };
    const mine = await pendingPhone(13);
    const theirs = await pendingPhone(10);
    const session = new RemoteSecureAreaSession(mine.binding, mine.key, world().walletFetch);
    const install = (bundle: unknown) =>
      session.send({ op: 'install', bundle, pins: { ...PHONE_PINS } }).then(
        () => 'installed',
        (error: { serverCode?: string }) => error.serverCode,
      );
    expect(await install(theirs.bundle)).toBe('ERR_SECURE_AREA_BUNDLE');
    // Their phone id and records with my certificates; my phone id with their certificates.
    expect(await install({ ...theirs.bundle, jpki: mine.bundle.jpki })).toBe('ERR_SECURE_AREA_BUNDLE');
    expect(await install({ ...mine.bundle, jpki: theirs.bundle.jpki })).toBe('ERR_SECURE_AREA_BUNDLE');
    // Without any signing certificate (skips the 4-info check) but with their 券面 records: refused by the 券面 key.
    const { signingCertificate: _dropped, ...jpki } = mine.bundle.jpki;
    void _dropped;
    expect(await install({ ...mine.bundle, jpki, kenkaku: theirs.bundle['kenkaku'] })).toBe('ERR_SECURE_AREA_BUNDLE');
  });

  it('N3 a relying party refuses what a suspended phone still signs (OCSP: on hold), with the 入力補助 records bound to it', async () => {
    const fresh = await nodeWallet(world(), undefined, undefined, { secureArea: 'remote' });
    await fresh.wallet.provision({
      card: await cardTransport(world().issuer.cards[2]!),
      cardPins: CARD_PINS,
      phonePins: PHONE_PINS,
    });
    const { phoneId } = await fresh.wallet.holder();
    await changePhone(world().issuer.context, phoneId, 'suspend', 'admin', 'lost');
    const { result } = await answerAccountOpening(world(), fresh.wallet);
    expect(result.result?.status).not.toBe('valid');
    expect(result.claims).toBeUndefined();
  });

  it('N4 error answers of the secure area carry no PIN, password or My Number', async () => {
    const errors: string[] = [];
    const recording = (async (input: string | URL | Request, init?: RequestInit) => {
      const response = await world().walletFetch(input, init);
      if (!response.ok) errors.push(await response.clone().text());
      return response;
    }) as typeof fetch;
    const phone = await remotePhone(13, watching(recording));
    const { binding, key } = await bindingOf(phone.storage);
    await phone.wallet.signDocument(new TextEncoder().encode('x'), 'WRONG1').catch(() => undefined);
    const session = new RemoteSecureAreaSession(binding, key, recording);
    const attempts: SecureAreaOperation[] = [
      { op: 'install', bundle: { phoneId: 'x' }, pins: { ...PHONE_PINS } },
      { op: 'reset-pins', authorization: 'a.b.c', phoneNonce: 'n'.repeat(20), pins: { 'jpki/0018': '12345' } },
      {
        op: 'reset-pins',
        authorization: 'a.b.c',
        phoneNonce: 'n'.repeat(20),
        pins: { 'jpki/0018': PHONE_PINS.authentication },
      },
      { op: 'pending-sign', key: 'signing', digestInfo: 'AAAA' },
    ];
    for (const operation of attempts) await session.send(operation).catch(() => undefined);
    const myNumber = String(registryPerson(SEED, 13).input.myNumber);
    expect(errors.length).toBeGreaterThan(3);
    for (const text of errors)
      for (const secret of [
        PHONE_PINS.authentication,
        PHONE_PINS.signing,
        PHONE_PINS.kenhojo,
        PHONE_PINS.juki,
        'WRONG1',
        '12345',
        myNumber,
      ])
        expect(text).not.toContain(secret);
  });

  /** The same phone file opened again (a restart, or a copy put back). */
  async function reopen(path: string, passphrase: string) {
    return (await nodeWallet(world(), path, passphrase)).wallet;
  }
});

/** Watches the secure-area traffic of a fetch: sessions opened, operations sent; drops ops in `drop`. */
function watching(base: typeof fetch) {
  const sessions: { sessionId: string; challenge: string; deviceId: string }[] = [];
  const sent: { sessionId: string; op: Record<string, unknown> }[] = [];
  const dropped: Record<string, unknown>[] = [];
  const state = {
    drop: new Set<string>(),
    onSend: undefined as ((op: Record<string, unknown>) => void) | undefined,
  };
  const fetcher = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input instanceof Request ? input.url : input);
    const message = /\/secure-area\/devices\/[^/]+\/sessions\/([^/]+)$/.exec(new URL(url).pathname);
    if (message && typeof init?.body === 'string') {
      const body = JSON.parse(init.body) as { message: string };
      const op = JSON.parse(Buffer.from(body.message, 'base64url').toString()) as Record<string, unknown>;
      if (state.drop.has(op['op'] as string)) {
        dropped.push(op);
        throw new TypeError('fetch failed');
      }
      state.onSend?.(op);
      sent.push({ sessionId: decodeURIComponent(message[1]!), op });
    }
    const response = await base(input, init);
    const opened = /\/secure-area\/devices\/([^/]+)\/sessions$/.exec(new URL(url).pathname);
    if (opened && response.ok)
      sessions.push({
        ...((await response.clone().json()) as { sessionId: string; challenge: string }),
        deviceId: decodeURIComponent(opened[1]!),
      });
    return response;
  }) as typeof fetch;
  return {
    fetch: fetcher,
    sessions,
    dropped,
    get drop() {
      return state.drop;
    },
    set onSend(hook: (op: Record<string, unknown>) => void) {
      state.onSend = hook;
    },
    ops: () => sent.map((each) => each.op),
    /** How many messages went to `sessionId` (its next sequence number). */
    sentTo: (sessionId: string) => sent.filter((each) => each.sessionId === sessionId).length,
  };
}

/** APDUs into an existing session (its id and challenge seen on the wire) signed with the device key. */
function rawSession(
  issuerUrl: string,
  session: { sessionId: string; challenge: string; deviceId: string },
  from: number,
  key: EcPrivateKey,
): CardTransport {
  let sequence = from;
  const send = async (operation: SecureAreaOperation) => {
    const message = new TextEncoder().encode(JSON.stringify({ ...operation, sequence: sequence++ }));
    const signature = await key.signEs256(secureAreaSigningInput(session.sessionId, session.challenge, message));
    const response = await fetch(`${issuerUrl}/secure-area/devices/${session.deviceId}/sessions/${session.sessionId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: base64UrlEncode(message), signature: base64UrlEncode(signature) }),
    });
    const body = (await response.json()) as { response?: string; error?: { code: string } };
    if (!response.ok) throw new Error(`secure area: ${body.error?.code}`);
    return body;
  };
  return {
    transmit: async (command) =>
      new Uint8Array(Buffer.from((await send({ op: 'apdu', apdu: b64(command) })).response!, 'base64')),
  };
}

/** Makes the next `db[method](table)` throw (the service crashing at that line); returns the undo. */
function crashOnce(context: { db: unknown }, method: string, table: string): () => void {
  const real = context.db as Record<string, unknown>;
  let armed = true;
  context.db = new Proxy(real, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (property === method && armed)
        return (name: string, ...rest: unknown[]) => {
          if (name === table) {
            armed = false;
            throw new Error('simulated crash of the service');
          }
          return (value as (...args: unknown[]) => unknown).call(target, name, ...rest);
        };
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return () => {
    context.db = real;
  };
}

/** Runs `step` (another request of the service, say) right before the next `db.transaction()` runs. */
function beforeNextTransaction(context: { db: unknown }, step: () => Promise<unknown>): void {
  const real = context.db as Record<string, unknown> & { transaction: () => { execute: (cb: unknown) => unknown } };
  context.db = new Proxy(real, {
    get(target, property) {
      if (property === 'transaction') {
        context.db = real;
        return () => ({
          execute: async (callback: unknown) => {
            await step();
            return real.transaction().execute(callback);
          },
        });
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * Runs `step` right before the next `db.updateTable(table)…execute…()` of the service reaches the
 * database (the service's own read of that row has happened by then).
 */
function beforeNextWrite(context: { db: unknown }, table: string, step: () => Promise<unknown>): void {
  const real = context.db as Record<string, unknown>;
  const deferred = (builder: unknown): unknown =>
    new Proxy(builder as object, {
      get(target, property) {
        const value = Reflect.get(target, property, target) as unknown;
        if (typeof value !== 'function') return value;
        if (typeof property === 'string' && property.startsWith('execute'))
          return async (...args: unknown[]) => {
            await step();
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        return (...args: unknown[]) => deferred((value as (...a: unknown[]) => unknown).apply(target, args));
      },
    });
  context.db = new Proxy(real, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (property === 'updateTable')
        return (name: string) => {
          const builder = (value as (n: string) => unknown).call(target, name);
          if (name !== table) return builder;
          context.db = real;
          return deferred(builder);
        };
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
