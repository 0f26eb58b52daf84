import type { VirtualCardDocument } from '@openmyna/card';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import {
  completeProvisioning,
  createIssuerApp,
  createPerson,
  ISSUER_MIGRATIONS,
  issueCard,
  openProvisioningSession,
  type IssuerContext,
  type IssuerSchema,
  type ProvisioningBundle,
} from '@openmyna/issuer';
import { migrate } from '@openmyna/storage';
import type { Kysely } from 'kysely';
import pino from 'pino';

import { testDatabase, type TestDatabase } from './databases.js';
import { makeProvisioningAuthorities, registryPerson, testRandom, TEST_REGISTRY_KEY } from './issuer-fixtures.js';
import { newPhoneRsaKeys, phoneCompletes, type PhoneRsaKeys } from './phone-proofs.js';

/** A provisioned phone with the keys its secure area holds. */
export interface ProvisionedPhone {
  readonly personIndex: number;
  /** The physical (virtual) card the phone was provisioned from, with the passphrase that opens it. */
  readonly card: { readonly document: VirtualCardDocument; readonly passphrase: string };
  readonly bundle: ProvisioningBundle;
  readonly keys: PhoneRsaKeys;
  readonly device: Awaited<ReturnType<typeof nodeMdocCrypto.generateEcKey>>;
}

/** A registered person's physical (virtual) card, with the passphrase that opens its file. */
export interface IssuedTestCard {
  readonly personIndex: number;
  readonly document: VirtualCardDocument;
  readonly passphrase: string;
  /** The 4-digit セキュリティコード printed on the card. */
  readonly securityCode: string;
}

/**
 * An issuer (SQLite) with persons `indexes` of population `seed` registered and their cards issued
 * (PINs 1234, signing password OPENMYNA1); its HTTP app answers `issuerFetch` in process, whatever the
 * host, so the OCSP, CRL and status-list URLs the credentials name (http://127.0.0.1/…) reach it.
 * `failing`, when set, makes matching URLs fail as an unreachable server would.
 */
export async function issuerWithCards(seed: string, indexes: readonly number[]) {
  let clock = new Date();
  const database: TestDatabase<IssuerSchema> = await testDatabase<IssuerSchema>('sqlite');
  await migrate(database.db as Kysely<unknown>, database.engine, ISSUER_MIGRATIONS);
  const context: IssuerContext = {
    db: database.db,
    clock: () => clock,
    randomBytes: testRandom,
    registryKey: TEST_REGISTRY_KEY,
  };
  const authorities = await makeProvisioningAuthorities(clock, 'http://127.0.0.1/mdoc/status/1');
  const app = createIssuerApp({
    context,
    authorities: authorities.jpki,
    cardFace: authorities.authorities.cardFace,
    mdoc: authorities.authorities.mdoc,
    pinResetAuthority: authorities.authorities.pinResetAuthority,
    adminToken: 'unused-admin-token',
    logger: pino({ level: 'silent' }),
    // The tests make tens of phones from 127.0.0.1 in seconds.
    secureAreaEnrollmentRateLimit: { perSecond: 1000, capacity: 1000 },
  });
  const state = { failing: undefined as RegExp | undefined, requests: [] as string[] };
  const issuerFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    state.requests.push(new URL(url).pathname);
    if (state.failing?.test(url)) throw new TypeError('fetch failed');
    return app.fetch(new Request(url, init));
  }) as typeof fetch;
  const cards: IssuedTestCard[] = [];
  for (const index of indexes) {
    const { input } = registryPerson(seed, index);
    await createPerson(context, input, 'test');
    const card = await issueCard(context, {
      personId: input.id,
      authorities: authorities.authorities,
      cardFace: authorities.authorities.cardFace,
      pins: { authentication: '1234', signing: 'OPENMYNA1', kenhojo: '1234' },
      actor: 'test',
    });
    cards.push({
      personIndex: index,
      document: card.document,
      passphrase: card.passphrase,
      securityCode: card.securityCode,
    });
  }
  return {
    context,
    authorities,
    app,
    issuerFetch,
    cards,
    state,
    clock: () => clock,
    setClock: (time: Date) => {
      clock = time;
    },
    dispose: () => database.dispose(),
  };
}

/** {@link issuerWithCards}, with a phone provisioned for each card (as test-support/phone-proofs.ts does it). */
export async function issuerWithPhones(seed: string, indexes: readonly number[]) {
  const issuer = await issuerWithCards(seed, indexes);
  const phones: ProvisionedPhone[] = [];
  for (const card of issuer.cards) {
    const keys = await newPhoneRsaKeys();
    const device = await nodeMdocCrypto.generateEcKey();
    const { sessionId, nonce } = await openProvisioningSession(issuer.context);
    const bundle = await completeProvisioning(
      issuer.context,
      issuer.authorities.authorities,
      sessionId,
      await phoneCompletes(card.document, card.passphrase, nonce, { keys, device }),
    );
    phones.push({
      personIndex: card.personIndex,
      card: { document: card.document, passphrase: card.passphrase },
      bundle,
      keys,
      device,
    });
  }
  return { ...issuer, phones };
}
