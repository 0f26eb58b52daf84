import { verifyKenhojoRecords, type CardRsaPublicKey, type VirtualCardDocument } from '@openmyna/card';
import { renderFacePhoto } from '@openmyna/core';
import { decodeIssuedMdoc, MNC_DOCTYPE } from '@openmyna/mdoc';
import { base64ToBytes, parseCertificate, SoftwareSigner, validatePath } from '@openmyna/pki';
import { migrate } from '@openmyna/storage';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeAuthority } from '../../../test-support/authorities.js';
import { ENGINES, testDatabase, type TestDatabase } from '../../../test-support/databases.js';
import {
  makeProvisioningAuthorities,
  registryPerson,
  testRandom,
  TEST_REGISTRY_KEY,
} from '../../../test-support/issuer-fixtures.js';
import { b64, phoneCompletes } from '../../../test-support/phone-proofs.js';
import {
  completeProvisioning,
  createPerson,
  endCard,
  ISSUER_MIGRATIONS,
  issueCard,
  openProvisioningSession,
  type IssuerContext,
  type IssuerSchema,
  type ProvisioningAuthorities,
  type ProvisioningCompletion,
} from '../src/index.js';

describe.each(ENGINES)('phone provisioning on %s (DESIGN.md flow 2)', (engine) => {
  let database: TestDatabase<IssuerSchema>;
  let context: IssuerContext;
  let authorities: ProvisioningAuthorities;
  let caKeys: Map<string, CardRsaPublicKey>;
  let card: { document: VirtualCardDocument; passphrase: string; cardId: string };
  let clock = new Date();
  const personId = 'P0000002';

  beforeAll(async () => {
    database = await testDatabase<IssuerSchema>(engine);
    await migrate(database.db as Kysely<unknown>, database.engine, ISSUER_MIGRATIONS);
    context = { db: database.db, clock: () => clock, randomBytes: testRandom, registryKey: TEST_REGISTRY_KEY };
    ({ authorities, caKeys } = await makeProvisioningAuthorities(clock));
    const { input } = registryPerson('provisioning', 2);
    await createPerson(context, { ...input, photo: renderFacePhoto({ faceSeed: 2, sex: '2', age: 40 }) }, 'test');
    const issued = await issueCard(context, {
      personId,
      authorities,
      cardFace: authorities.cardFace,
      pins: { authentication: '1234', signing: 'OPENMYNA1', kenhojo: '1234' },
      actor: 'test',
    });
    card = { document: issued.document, passphrase: issued.passphrase, cardId: issued.cardId };
  });
  afterAll(() => database.dispose());

  const phones = () =>
    database.db.selectFrom('phones').select(['id', 'status']).where('person_id', '=', personId).execute();

  it('issues the phone its own certificates, records and mdoc in one bundle', async () => {
    const { sessionId, nonce } = await openProvisioningSession(context);
    const bundle = await completeProvisioning(
      context,
      authorities,
      sessionId,
      await phoneCompletes(card.document, card.passphrase, nonce),
    );
    // The phone's certificates are new ones, under the same CAs, recorded against the phone.
    const phoneAuth = parseCertificate(base64ToBytes(bundle.jpki.authenticationCertificate));
    expect(
      Buffer.from(phoneAuth.der).equals(Buffer.from(base64ToBytes(card.document.jpki.authenticationCertificate))),
    ).toBe(false);
    expect(
      (
        await validatePath({
          certificate: phoneAuth,
          trustAnchors: authorities.cardAnchors.authentication,
          time: clock,
          checkRevocation: false,
        })
      ).status,
    ).toBe('valid');
    const rows = await database.db
      .selectFrom('certificates')
      .select(['hierarchy', 'status'])
      .where('phone_id', '=', bundle.phoneId)
      .execute();
    expect(rows.map((row) => `${row.hierarchy}:${row.status}`).sort()).toEqual([
      'authentication:issued',
      'signing:issued',
    ]);
    const records = {
      myNumberFile: base64ToBytes(bundle.kenhojo.myNumberFile),
      basicFourInfoFile: base64ToBytes(bundle.kenhojo.basicFourInfoFile),
      integrityRecord: base64ToBytes(bundle.kenhojo.integrityRecord),
      cvCertificate: base64ToBytes(bundle.kenhojo.cvCertificate),
    };
    expect(verifyKenhojoRecords(records, caKeys).status).toBe('valid');
    const mdoc = decodeIssuedMdoc(base64ToBytes(bundle.mdoc));
    expect(mdoc.docType).toBe(MNC_DOCTYPE);
    expect(await phones()).toEqual([{ id: bundle.phoneId, status: 'active' }]);
    const audit = await database.db
      .selectFrom('audit_log')
      .select(['action', 'details'])
      .where('subject_id', '=', bundle.phoneId)
      .execute();
    expect(audit.map((row) => row.action)).toEqual(['phone.provision', 'phone.records']);
  });

  it.each<
    [string, (nonce: string, sessionId: string) => Promise<{ sessionId: string; body: ProvisioningCompletion }>, string]
  >([
    [
      'an unknown session',
      async (nonce) => ({ sessionId: 'S-nope', body: await phoneCompletes(card.document, card.passphrase, nonce) }),
      'ERR_PROVISIONING_SESSION_UNKNOWN',
    ],
    [
      'an application for another nonce',
      async (nonce, sessionId) => ({
        sessionId,
        body: await phoneCompletes(card.document, card.passphrase, nonce, { applicationNonce: 'another' }),
      }),
      'ERR_PROVISIONING_NONCE',
    ],
    [
      'a card signature over another nonce',
      async (nonce, sessionId) => ({
        sessionId,
        body: await phoneCompletes(card.document, card.passphrase, nonce, { authNonce: 'another' }),
      }),
      'ERR_CARD_PROOF_INVALID',
    ],
    [
      'a phone key the attestation does not prove',
      async (nonce, sessionId) => ({
        sessionId,
        body: await phoneCompletes(card.document, card.passphrase, nonce, { swapSigningRequest: true }),
      }),
      'ERR_PHONE_KEY_MISMATCH',
    ],
    [
      'an application signature that was tampered with',
      async (nonce, sessionId) => {
        const body = await phoneCompletes(card.document, card.passphrase, nonce);
        const signature = base64ToBytes(body.applicationSignature);
        signature[10]! ^= 1;
        return { sessionId, body: { ...body, applicationSignature: b64(signature) } };
      },
      'ERR_CARD_PROOF_INVALID',
    ],
    [
      'a card certificate from another CA',
      async (nonce, sessionId) => {
        const body = await phoneCompletes(card.document, card.passphrase, nonce);
        const stranger = await makeAuthority('authentication', 'stranger');
        const key = await SoftwareSigner.generate();
        const foreign = await stranger.issueEndEntity({
          profile: 'jpki-authentication',
          subjectPublicKeyInfo: key.publicKeyInfo,
          holder: registryPerson('provisioning', 2).holder,
          issuedAt: clock,
        });
        return { sessionId, body: { ...body, cardAuthenticationCertificate: b64(foreign) } };
      },
      'ERR_CARD_CERTIFICATE_UNTRUSTED',
    ],
    [
      'a certificate of this CA that is not on record',
      async (nonce, sessionId) => {
        const body = await phoneCompletes(card.document, card.passphrase, nonce);
        const key = await SoftwareSigner.generate();
        const unrecorded = await authorities.authentication.issueEndEntity({
          profile: 'jpki-authentication',
          subjectPublicKeyInfo: key.publicKeyInfo,
          holder: registryPerson('provisioning', 2).holder,
          issuedAt: clock,
        });
        return { sessionId, body: { ...body, cardAuthenticationCertificate: b64(unrecorded) } };
      },
      'ERR_CARD_CERTIFICATE_UNKNOWN',
    ],
    [
      'not base64',
      async (nonce, sessionId) => ({
        sessionId,
        body: { ...(await phoneCompletes(card.document, card.passphrase, nonce)), application: '*not base64*' },
      }),
      'ERR_PROVISIONING_FORMAT',
    ],
  ])('refuses %s with its code and issues nothing', async (_name, build, code) => {
    const before = await database.db.selectFrom('certificates').select('serial').execute();
    const { sessionId, nonce } = await openProvisioningSession(context);
    const attempt = await build(nonce, sessionId);
    await expect(completeProvisioning(context, authorities, attempt.sessionId, attempt.body)).rejects.toMatchObject({
      code,
    });
    expect(await database.db.selectFrom('certificates').select('serial').execute()).toHaveLength(before.length);
    expect((await phones()).filter((phone) => phone.status === 'active')).toHaveLength(1);
  });

  it('refuses a replayed and an expired session', async () => {
    const { sessionId, nonce } = await openProvisioningSession(context);
    const body = await phoneCompletes(card.document, card.passphrase, nonce);
    const first = await completeProvisioning(context, authorities, sessionId, body);
    await expect(completeProvisioning(context, authorities, sessionId, body)).rejects.toMatchObject({
      code: 'ERR_PROVISIONING_REPLAYED',
    });
    // One phone per person: the earlier phone and its certificates ended when this one came.
    const all = await phones();
    expect(all.filter((phone) => phone.status === 'active')).toEqual([{ id: first.phoneId, status: 'active' }]);
    const superseded = await database.db
      .selectFrom('certificates')
      .select(['reason'])
      .where('phone_id', '!=', first.phoneId)
      .where('phone_id', 'is not', null)
      .execute();
    expect(superseded.every((row) => row.reason === 'superseded')).toBe(true);

    const late = await openProvisioningSession(context);
    clock = new Date(clock.getTime() + 301_000);
    await expect(
      completeProvisioning(
        context,
        authorities,
        late.sessionId,
        await phoneCompletes(card.document, card.passphrase, late.nonce),
      ),
    ).rejects.toMatchObject({ code: 'ERR_PROVISIONING_SESSION_EXPIRED' });
    clock = new Date();
  });

  it('refuses a card that was reported lost', async () => {
    await endCard(context, card.cardId, 'lost', 'admin', '紛失届');
    const { sessionId, nonce } = await openProvisioningSession(context);
    await expect(
      completeProvisioning(
        context,
        authorities,
        sessionId,
        await phoneCompletes(card.document, card.passphrase, nonce),
      ),
    ).rejects.toMatchObject({ code: 'ERR_CARD_CERTIFICATE_REVOKED' });
  });
});
