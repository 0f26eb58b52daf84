import {
  type HolderAction,
  lifecycleStatement,
  MemoryRetryCounterStore,
  pinResetStatement,
  protectPin,
  resetPinsWithIssuerAuthorization,
  RetryCounter,
  verifyPinResetAuthorization,
  type VirtualCardDocument,
} from '@openmyna/card';
import { migrate } from '@openmyna/storage';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ENGINES, testDatabase, type TestDatabase } from '../../../test-support/databases.js';
import {
  makePinResetAuthority,
  makeProvisioningAuthorities,
  registryPerson,
  testRandom,
  TEST_REGISTRY_KEY,
} from '../../../test-support/issuer-fixtures.js';
import {
  b64,
  cardSigns,
  newPhoneRsaKeys,
  phoneCompletes,
  type PhoneRsaKeys,
} from '../../../test-support/phone-proofs.js';
import {
  authorizePinReset,
  certificateState,
  completeProvisioning,
  createPerson,
  holderChangesPhone,
  ISSUER_MIGRATIONS,
  issueCard,
  openHolderChallenge,
  openProvisioningSession,
  type IssuerContext,
  type IssuerSchema,
  type ProvisioningAuthorities,
  type ProvisioningBundle,
} from '../src/index.js';

const encode = (text: string) => new TextEncoder().encode(text);

describe.each(ENGINES)('the holder’s phone lifecycle and PIN reset on %s', (engine) => {
  let database: TestDatabase<IssuerSchema>;
  let context: IssuerContext;
  let authorities: ProvisioningAuthorities;
  let clock = new Date();
  const cards: Record<string, { document: VirtualCardDocument; passphrase: string }> = {};

  beforeAll(async () => {
    database = await testDatabase<IssuerSchema>(engine);
    await migrate(database.db as Kysely<unknown>, database.engine, ISSUER_MIGRATIONS);
    context = { db: database.db, clock: () => clock, randomBytes: testRandom, registryKey: TEST_REGISTRY_KEY };
    ({ authorities } = await makeProvisioningAuthorities(clock));
    for (const index of [1, 2]) {
      const { input } = registryPerson('holder', index);
      await createPerson(context, input, 'test');
      const issued = await issueCard(context, {
        personId: input.id,
        authorities,
        cardFace: authorities.cardFace,
        pins: { authentication: '1234', signing: 'OPENMYNA1', kenhojo: '1234' },
        actor: 'test',
      });
      cards[input.id] = { document: issued.document, passphrase: issued.passphrase };
    }
  });
  afterAll(() => database.dispose());

  const owner = () => registryPerson('holder', 1).input.id;
  const stranger = () => registryPerson('holder', 2).input.id;

  async function provision(): Promise<{ bundle: ProvisioningBundle; keys: PhoneRsaKeys }> {
    const card = cards[owner()]!;
    const keys = await newPhoneRsaKeys();
    const { sessionId, nonce } = await openProvisioningSession(context);
    const bundle = await completeProvisioning(
      context,
      authorities,
      sessionId,
      await phoneCompletes(card.document, card.passphrase, nonce, { keys }),
    );
    return { bundle, keys };
  }

  const phoneSays = async (phoneId: string, action: HolderAction, keys: PhoneRsaKeys, signedAction = action) => {
    const { challengeId, nonce } = await openHolderChallenge(context, phoneId, 'lifecycle');
    const signature = b64(await keys.authentication.sign(lifecycleStatement({ phoneId, action: signedAction, nonce })));
    return { challengeId, action, proof: { kind: 'phone-authentication' as const, signature } };
  };
  const cardSays = async (phoneId: string, action: HolderAction, personId = owner()) => {
    const { challengeId, nonce } = await openHolderChallenge(context, phoneId, 'lifecycle');
    const card = cards[personId]!;
    const { certificate, signature } = await cardSigns(
      card.document,
      card.passphrase,
      'authentication',
      lifecycleStatement({ phoneId, action, nonce }),
    );
    return { challengeId, action, proof: { kind: 'card-authentication' as const, certificate, signature } };
  };
  const phoneCertificates = async (phoneId: string) =>
    (
      await database.db
        .selectFrom('certificates')
        .select(['serial', 'status'])
        .where('phone_id', '=', phoneId)
        .execute()
    ).map((row) => row.status);

  it('lets the phone suspend itself with its authentication key, and only the card lift that', async () => {
    const { bundle, keys } = await provision();
    const request = await phoneSays(bundle.phoneId, 'suspend', keys);
    const suspended = await holderChangesPhone(context, authorities.cardAnchors, bundle.phoneId, request);
    expect(suspended.status).toBe('suspended');
    expect(await phoneCertificates(bundle.phoneId)).toEqual(['suspended', 'suspended']);
    // The challenge was single use.
    await expect(holderChangesPhone(context, authorities.cardAnchors, bundle.phoneId, request)).rejects.toMatchObject({
      code: 'ERR_HOLDER_CHALLENGE_REPLAYED',
    });
    // A found phone (with its PIN) cannot lift its own suspension; the card can.
    await expect(
      holderChangesPhone(
        context,
        authorities.cardAnchors,
        bundle.phoneId,
        await phoneSays(bundle.phoneId, 'resume', keys),
      ),
    ).rejects.toMatchObject({ code: 'ERR_HOLDER_PROOF_NOT_ENOUGH' });
    const resumed = await holderChangesPhone(
      context,
      authorities.cardAnchors,
      bundle.phoneId,
      await cardSays(bundle.phoneId, 'resume'),
    );
    expect(resumed.status).toBe('active');
    expect(await phoneCertificates(bundle.phoneId)).toEqual(['issued', 'issued']);
    const audit = await database.db
      .selectFrom('audit_log')
      .select(['actor', 'action'])
      .where('subject_id', '=', bundle.phoneId)
      .where('action', 'like', 'phone.%')
      .execute();
    expect(audit.map((row) => row.action)).toEqual([
      'phone.provision',
      'phone.records',
      'phone.suspend',
      'phone.resume',
    ]);
    expect(audit.at(-1)!.actor).toBe(`holder:${owner()}`);
  });

  it('lets the card revoke a lost phone, and the phone revoke itself', async () => {
    const lost = await provision();
    const revoked = await holderChangesPhone(
      context,
      authorities.cardAnchors,
      lost.bundle.phoneId,
      await cardSays(lost.bundle.phoneId, 'revoke'),
    );
    expect(revoked.status).toBe('revoked');
    const states = await Promise.all(
      revoked.serials.map(async (serial) => (await certificateState(context, 'authentication', serial)).status),
    );
    expect(states).toContain('revoked');
    await expect(openHolderChallenge(context, lost.bundle.phoneId, 'lifecycle')).rejects.toMatchObject({
      code: 'ERR_PHONE_STATE',
    });
    const next = await provision();
    const own = await holderChangesPhone(
      context,
      authorities.cardAnchors,
      next.bundle.phoneId,
      await phoneSays(next.bundle.phoneId, 'revoke', next.keys),
    );
    expect(own.status).toBe('revoked');
    expect(await phoneCertificates(next.bundle.phoneId)).toEqual(['revoked', 'revoked']);
  });

  it.each<[string, (phoneId: string, keys: PhoneRsaKeys) => Promise<unknown>, string]>([
    [
      'a signature over another action',
      async (phoneId, keys) => phoneSays(phoneId, 'revoke', keys, 'suspend'),
      'ERR_HOLDER_PROOF_INVALID',
    ],
    [
      'another phone’s key',
      async (phoneId) => phoneSays(phoneId, 'suspend', await newPhoneRsaKeys()),
      'ERR_HOLDER_PROOF_INVALID',
    ],
    [
      'another person’s card',
      async (phoneId) => cardSays(phoneId, 'suspend', stranger()),
      'ERR_HOLDER_NOT_PHONE_OWNER',
    ],
    [
      'a challenge for a PIN reset',
      async (phoneId, keys) => {
        const { challengeId, nonce } = await openHolderChallenge(context, phoneId, 'pin-reset');
        const signature = b64(
          await keys.authentication.sign(lifecycleStatement({ phoneId, action: 'suspend', nonce })),
        );
        return { challengeId, action: 'suspend', proof: { kind: 'phone-authentication', signature } };
      },
      'ERR_HOLDER_CHALLENGE_UNKNOWN',
    ],
    [
      'an expired challenge',
      async (phoneId, keys) => {
        const request = await phoneSays(phoneId, 'suspend', keys);
        clock = new Date(clock.getTime() + 301_000);
        return request;
      },
      'ERR_HOLDER_CHALLENGE_EXPIRED',
    ],
    [
      'a proof of no known kind',
      async (phoneId) => ({ ...(await cardSays(phoneId, 'suspend')), proof: { kind: 'password', signature: '' } }),
      'ERR_HOLDER_REQUEST_FORMAT',
    ],
    [
      'a signature that is not base64',
      async (phoneId, keys) => ({
        ...(await phoneSays(phoneId, 'suspend', keys)),
        proof: { kind: 'phone-authentication', signature: 'not base64!' },
      }),
      'ERR_HOLDER_REQUEST_FORMAT',
    ],
  ])('refuses %s, changing nothing', async (_name, make, code) => {
    const { bundle, keys } = await provision();
    const request = await make(bundle.phoneId, keys);
    await expect(
      holderChangesPhone(context, authorities.cardAnchors, bundle.phoneId, request as never),
    ).rejects.toMatchObject({ code });
    clock = new Date();
    expect(await phoneCertificates(bundle.phoneId)).toEqual(['issued', 'issued']);
  });

  describe('PIN reset with the card as the stronger factor', () => {
    const phoneNonce = 'phone-nonce-0123456789abcdef';
    const blockedPassword = async () => {
      const store = new MemoryRetryCounterStore();
      const counter = new RetryCounter({
        reference: 'jpki/001B',
        maxTries: 5,
        pin: protectPin(encode('PHONE1'), new Uint8Array(16)),
        store,
      });
      for (let attempt = 0; attempt < 5; attempt++) await counter.verify(encode('WRONG9'));
      expect((await counter.verify(encode('PHONE1'))).result).toBe('blocked');
      return counter;
    };
    const cardAsks = async (
      phoneId: string,
      pins: string[],
      personId = owner(),
      key: 'signing' | 'authentication' = 'signing',
    ) => {
      const { challengeId, nonce } = await openHolderChallenge(context, phoneId, 'pin-reset');
      const card = cards[personId]!;
      const { certificate, signature } = await cardSigns(
        card.document,
        card.passphrase,
        key,
        pinResetStatement({ phoneId, pins, phoneNonce, nonce }),
      );
      return { challengeId, pins, phoneNonce, cardSigningCertificate: certificate, signature };
    };

    it('resets a blocked signing password on the phone, once', async () => {
      const { bundle } = await provision();
      const counter = await blockedPassword();
      const { authorization } = await authorizePinReset(
        context,
        { cardAnchors: authorities.cardAnchors, authority: authorities.pinResetAuthority },
        bundle.phoneId,
        await cardAsks(bundle.phoneId, ['jpki/001B']),
      );
      const reset = await resetPinsWithIssuerAuthorization({
        token: authorization,
        authority: bundle.pinResetAuthority.publicJwk,
        phoneId: bundle.phoneId,
        nonce: phoneNonce,
        now: clock,
        counters: new Map([['jpki/001B', counter]]),
        newPins: { 'jpki/001B': protectPin(encode('NEWPASS2'), new Uint8Array(16)) },
      });
      expect(reset).toEqual(['jpki/001B']);
      expect((await counter.verify(encode('NEWPASS2'))).result).toBe('verified');
      // The phone refuses the same token once it has forgotten the nonce, another phone's, a stale one,
      // and one signed by any other key.
      const expected = {
        authority: bundle.pinResetAuthority.publicJwk,
        phoneId: bundle.phoneId,
        nonce: phoneNonce,
        now: clock,
      };
      await expect(
        verifyPinResetAuthorization(authorization, { ...expected, nonce: 'next-nonce-0123456789' }),
      ).rejects.toThrow(/nonce/);
      await expect(verifyPinResetAuthorization(authorization, { ...expected, phoneId: 'Fother' })).rejects.toThrow(
        /claim-validation-failed/,
      );
      await expect(
        verifyPinResetAuthorization(authorization, { ...expected, now: new Date(clock.getTime() + 301_000) }),
      ).rejects.toThrow(/jwt-expired/);
      const other = await makePinResetAuthority();
      await expect(
        verifyPinResetAuthorization(authorization, { ...expected, authority: other.publicJwk }),
      ).rejects.toMatchObject({ code: 'ERR_PIN_RESET_AUTHORIZATION' });
      // The authority signs through its key and hands out only the public half.
      expect(JSON.stringify(authorities.pinResetAuthority)).not.toMatch(/"d"/);
      expect(Object.keys(authorities.pinResetAuthority).sort()).toEqual(['issuer', 'key', 'publicJwk']);
    });

    it.each<[string, (phoneId: string) => Promise<unknown>, string]>([
      [
        'a PIN the issuer does not reset',
        (phoneId) => cardAsks(phoneId, ['kenkaku/0011']),
        'ERR_HOLDER_REQUEST_FORMAT',
      ],
      [
        'another person’s card',
        (phoneId) => cardAsks(phoneId, ['jpki/001B'], stranger()),
        'ERR_HOLDER_NOT_PHONE_OWNER',
      ],
      [
        'the card’s authentication key (the weaker factor)',
        (phoneId) => cardAsks(phoneId, ['jpki/001B'], owner(), 'authentication'),
        'ERR_CARD_CERTIFICATE_UNTRUSTED',
      ],
      [
        'a signature over other PINs',
        async (phoneId) => ({ ...(await cardAsks(phoneId, ['jpki/0018'])), pins: ['jpki/0018', 'jpki/001B'] }),
        'ERR_HOLDER_PROOF_INVALID',
      ],
      [
        'a lifecycle challenge',
        async (phoneId) => ({
          ...(await cardAsks(phoneId, ['jpki/001B'])),
          challengeId: (await openHolderChallenge(context, phoneId, 'lifecycle')).challengeId,
        }),
        'ERR_HOLDER_CHALLENGE_UNKNOWN',
      ],
    ])('refuses %s', async (_name, make, code) => {
      const { bundle } = await provision();
      await expect(
        authorizePinReset(
          context,
          { cardAnchors: authorities.cardAnchors, authority: authorities.pinResetAuthority },
          bundle.phoneId,
          (await make(bundle.phoneId)) as never,
        ),
      ).rejects.toMatchObject({ code });
    });

    it('refuses a suspended phone until it is resumed', async () => {
      const { bundle, keys } = await provision();
      await holderChangesPhone(
        context,
        authorities.cardAnchors,
        bundle.phoneId,
        await phoneSays(bundle.phoneId, 'suspend', keys),
      );
      await expect(
        authorizePinReset(
          context,
          { cardAnchors: authorities.cardAnchors, authority: authorities.pinResetAuthority },
          bundle.phoneId,
          await cardAsks(bundle.phoneId, ['jpki/001B']),
        ),
      ).rejects.toMatchObject({ code: 'ERR_PHONE_STATE' });
    });
  });
});
