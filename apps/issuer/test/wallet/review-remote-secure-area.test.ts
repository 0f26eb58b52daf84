/**
 * A second independent review of the remote secure area (phone side, real HTTP): R1 was a finding (it
 * failed) and now states the behaviour that fixed it; R2 is what the review checked and found sound.
 */
import { randomBytes } from 'node:crypto';

import { SecureAreaService } from '@openmyna/issuer';
import { secureAreaSigningInput } from '@openmyna/card';
import { base64UrlEncode } from '@openmyna/core';
import { RemoteSecureAreaSession, type RemoteSecureAreaBinding } from '@openmyna/wallet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  cardTransport,
  CARD_PINS,
  nodeWallet,
  PHONE_PINS,
  walletWorld,
} from '../../../../test-support/wallet-fixtures.js';

const LOGIN = { value: 'y'.repeat(32), clientId: 'https://rp.example' };
const P256_N = BigInt('0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551');

/** The same ES256 JWS with s replaced by n − s: a second valid signature, another string. */
function highS(token: string): string {
  const [h, p, s] = token.split('.') as [string, string, string];
  const sig = Buffer.from(s, 'base64url');
  const sValue = BigInt('0x' + sig.subarray(32).toString('hex'));
  const flipped = Buffer.from((P256_N - sValue).toString(16).padStart(64, '0'), 'hex');
  return `${h}.${p}.${Buffer.concat([sig.subarray(0, 32), flipped]).toString('base64url')}`;
}
/** The same JWS with the 4 unused low bits of the signature's last base64url character set. */
function noncanonical(token: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = token.at(-1)!;
  return token.slice(0, -1) + alphabet[alphabet.indexOf(last) | 0x01]!;
}

describe('review: remote secure area (phone side)', () => {
  let world: Awaited<ReturnType<typeof walletWorld>>;
  beforeAll(async () => {
    world = await walletWorld('secure-area-review', [0, 1, 2]);
  }, 300_000);
  afterAll(async () => {
    await world.dispose();
  });

  const remotePhone = async (index: number) => {
    const ops: Record<string, unknown>[] = [];
    const fetcher = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input);
      if (
        /\/secure-area\/devices\/[^/]+\/sessions\/[^/]+$/.test(new URL(url).pathname) &&
        typeof init?.body === 'string'
      )
        ops.push(
          JSON.parse(
            Buffer.from((JSON.parse(init.body) as { message: string }).message, 'base64url').toString(),
          ) as Record<string, unknown>,
        );
      return world.walletFetch(input, init);
    }) as typeof fetch;
    const phone = await nodeWallet(world, undefined, undefined, { secureArea: 'remote', fetch: fetcher });
    await phone.wallet.provision({
      card: await cardTransport(world.issuer.cards[index]!),
      cardPins: CARD_PINS,
      phonePins: PHONE_PINS,
    });
    const record = (await phone.storage.read('credential')) as { remote: RemoteSecureAreaBinding };
    const key = (await phone.storage.deviceKey(record.remote.keyId))!;
    return { ...phone, ops, binding: record.remote, key };
  };

  it('R1 a PIN-reset authorization is accepted once, however it is re-encoded (high-S, non-canonical base64url)', async () => {
    const phone = await remotePhone(0);
    for (let i = 0; i < 3; i++) await phone.wallet.signLogin(LOGIN, '0000').catch(() => undefined);
    await phone.wallet.resetPins({
      card: await cardTransport(world.issuer.cards[0]!),
      cardSigningPassword: CARD_PINS.signing,
      pins: { authenticationPin: '2580' },
    });
    const reset = phone.ops.find((op) => op['op'] === 'reset-pins')!;
    const token = reset['authorization'] as string;
    // Whoever holds the device key (the phone's files: in the threat model) and saw the token, within
    // its 5 minutes: the same authorization, re-encoded, with a PIN of its own.
    const replays: Record<string, string> = {};
    for (const [name, variant] of [
      ['high-S', highS(token)],
      ['non-canonical', noncanonical(token)],
    ] as const) {
      replays[name] = await new RemoteSecureAreaSession(phone.binding, phone.key, world.walletFetch)
        .send({
          op: 'reset-pins',
          authorization: variant,
          phoneNonce: reset['phoneNonce'] as string,
          pins: { 'jpki/0018': '9999' },
        })
        .then(
          () => 'accepted',
          (error: { serverCode?: string }) => `refused ${error.serverCode}`,
        );
    }
    const attackerPin = await phone.wallet.signLogin(LOGIN, '9999').then(
      () => 'attacker PIN works',
      () => 'attacker PIN refused',
    );
    expect({ replays, attackerPin }).toEqual({
      replays: {
        'high-S': expect.stringMatching(/^refused/) as unknown,
        'non-canonical': expect.stringMatching(/^refused/) as unknown,
      },
      attackerPin: 'attacker PIN refused',
    });
  });

  it('R2 no signed message of the device makes the service answer 500 (random APDUs to an installed device)', async () => {
    const phone = await remotePhone(1);
    const service = new SecureAreaService(world.issuer.context, {
      pinResetAuthority: world.issuer.authorities.authorities.pinResetAuthority.publicJwk,
    });
    const session = await service.openSession(phone.binding.deviceId);
    let sequence = 0;
    const send = async (apdu: Uint8Array) => {
      const message = new TextEncoder().encode(
        JSON.stringify({ op: 'apdu', apdu: Buffer.from(apdu).toString('base64'), sequence: sequence++ }),
      );
      const signature = await phone.key.signEs256(
        secureAreaSigningInput(session.sessionId, session.challenge, message),
      );
      return service.message(session.sessionId, base64UrlEncode(message), base64UrlEncode(signature));
    };
    const unexpected: string[] = [];
    const selects = [
      '00a4040c0ad392f000260100000001',
      '00a4040c0ad3921000310001010408',
      '00a4040c0ad3921000310001010402',
    ];
    for (let i = 0; i < 3000; i++) {
      const apdu =
        i % 50 === 0
          ? Buffer.from(selects[(i / 50) % 3]!, 'hex')
          : Buffer.concat([
              Buffer.from([
                i % 7 === 0 ? 0x80 : 0x00,
                [0x20, 0x24, 0x2a, 0xb0, 0xb2, 0xa4, 0x84, 0xca, 0x32, 0x88][i % 10]!,
              ]),
              randomBytes(2 + (i % 9)),
            ]);
      await send(apdu).catch((error: { code?: string; message?: string }) => {
        if (!error.code?.startsWith('ERR_SECURE_AREA'))
          unexpected.push(`${apdu.toString('hex')}: ${error.code} ${error.message}`);
      });
    }
    expect(unexpected.slice(0, 5)).toEqual([]);
  }, 120_000);
});
