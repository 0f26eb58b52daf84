import { renderFacePhoto } from '@openmyna/core';
import { decodeIssuedMdoc, decodeMobileSecurityObject } from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { base64ToBytes, parseCertificate } from '@openmyna/pki';
import { migrate } from '@openmyna/storage';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ENGINES, testDatabase, type TestDatabase } from '../../../test-support/databases.js';
import {
  makeProvisioningAuthorities,
  registryPerson,
  testRandom,
  TEST_REGISTRY_KEY,
} from '../../../test-support/issuer-fixtures.js';
import { newPhoneRsaKeys, phoneCompletes } from '../../../test-support/phone-proofs.js';
import {
  completeProvisioning,
  createPerson,
  ISSUER_MIGRATIONS,
  issueCard,
  openProvisioningSession,
  type IssuerContext,
  type IssuerSchema,
  type ProvisioningAuthorities,
} from '../src/index.js';

const PERSONS = 10;
const SESSIONS = 200;

describe.each(ENGINES)('200 concurrent provisioning sessions on %s', (engine) => {
  let database: TestDatabase<IssuerSchema>;
  let context: IssuerContext;
  let authorities: ProvisioningAuthorities;
  const cards: {
    personId: string;
    name: string;
    document: Awaited<ReturnType<typeof issueCard>>['document'];
    passphrase: string;
  }[] = [];

  beforeAll(async () => {
    database = await testDatabase<IssuerSchema>(engine);
    await migrate(database.db as Kysely<unknown>, database.engine, ISSUER_MIGRATIONS);
    context = { db: database.db, clock: () => new Date(), randomBytes: testRandom, registryKey: TEST_REGISTRY_KEY };
    ({ authorities } = await makeProvisioningAuthorities(new Date()));
    // Adults only: a holder under 15 has no signing certificate, and provisioning needs its signature.
    for (let index = 0; cards.length < PERSONS; index++) {
      const { input } = registryPerson('concurrency', index);
      if (Number(input.basicFourInfo.birthDate.year) > 2000) continue;
      await createPerson(context, { ...input, photo: renderFacePhoto({ faceSeed: index, sex: '1', age: 40 }) }, 'test');
      const issued = await issueCard(context, {
        personId: input.id,
        authorities,
        cardFace: authorities.cardFace,
        pins: { authentication: '1234', signing: 'OPENMYNA1', kenhojo: '1234' },
        actor: 'test',
      });
      cards.push({
        personId: input.id,
        name: input.basicFourInfo.name,
        document: issued.document,
        passphrase: issued.passphrase,
      });
    }
  }, 120_000);
  afterAll(() => database.dispose());

  it('gives every session exactly its own phone’s credentials, leaves one phone per person, and nothing valid on superseded phones', async () => {
    const keysByPerson = await Promise.all(cards.map(() => newPhoneRsaKeys()));
    // Prepare every request first, so that the completions themselves overlap.
    const prepared = await Promise.all(
      Array.from({ length: SESSIONS }, async (_, index) => {
        const card = cards[index % PERSONS]!;
        const device = await nodeMdocCrypto.generateEcKey();
        const { sessionId, nonce } = await openProvisioningSession(context);
        const body = await phoneCompletes(card.document, card.passphrase, nonce, {
          keys: keysByPerson[index % PERSONS]!,
          device,
        });
        return { sessionId, body, device, card };
      }),
    );
    const results = await Promise.allSettled(
      prepared.map(({ sessionId, body }) => completeProvisioning(context, authorities, sessionId, body)),
    );
    // Sessions of one person race: a provisioning superseded while it ran is refused, never half-done.
    const failures = results.filter((result) => result.status === 'rejected');
    expect(failures.every((failure) => (failure.reason as { code?: string }).code === 'ERR_PHONE_STATE')).toBe(true);
    const phoneIds = new Set<string>();
    results.forEach((result, index) => {
      if (result.status !== 'fulfilled') return;
      const bundle = result.value;
      const { device, card } = prepared[index]!;
      // Canaries: the mdoc is bound to this session's device key, the certificate to this person's key and card.
      const mdoc = decodeIssuedMdoc(base64ToBytes(bundle.mdoc));
      const name = mdoc.issuerSigned.nameSpaces
        .get('org.iso.23220.1.jp')!
        .find((item) => item.elementIdentifier === 'full_name_unicode')!.elementValue;
      const deviceKey = decodeMobileSecurityObject(mdoc.issuerSigned.issuerAuth.payload).deviceKey;
      expect(Buffer.from(deviceKey.x).equals(Buffer.from(device.publicKey.x))).toBe(true);
      const certificate = parseCertificate(base64ToBytes(bundle.jpki.authenticationCertificate));
      const keys = keysByPerson[index % PERSONS]!;
      expect(Buffer.from(certificate.subjectPublicKeyInfo).equals(Buffer.from(keys.authentication.publicKeyInfo))).toBe(
        true,
      );
      expect(name).toBe(card.name);
      phoneIds.add(bundle.phoneId);
    });
    expect(phoneIds.size).toBe(SESSIONS - failures.length);
    expect(phoneIds.size).toBeGreaterThanOrEqual(PERSONS);
    const active = await database.db
      .selectFrom('phones')
      .select(['person_id'])
      .where('status', '=', 'active')
      .execute();
    expect(active.map((row) => row.person_id).sort()).toEqual(cards.map((card) => card.personId).sort());
    // Nothing stays valid on a phone that was superseded.
    const leaked = await database.db
      .selectFrom('certificates')
      .innerJoin('phones', 'phones.id', 'certificates.phone_id')
      .select(['certificates.serial'])
      .where('phones.status', '=', 'revoked')
      .where('certificates.status', 'in', ['issued', 'suspended'])
      .execute();
    expect(leaked).toEqual([]);
    // Every mdoc has its own status-list entry (regression: two concurrent provisionings drew the same one).
    const indexes = await database.db.selectFrom('records').select('status_index').where('kind', '=', 'mdoc').execute();
    expect(new Set(indexes.map((row) => row.status_index)).size).toBe(indexes.length);
  }, 300_000);
});
