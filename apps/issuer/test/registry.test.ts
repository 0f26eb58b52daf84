import { basicFourInfoOf, generatePerson, parseIsoDate, renderFacePhoto, type CalendarDate } from '@openmyna/core';
import { SoftwareSigner } from '@openmyna/pki';
import type { CertificateAuthority } from '@openmyna/pki/ca';
import { inTransaction, migrate, sql } from '@openmyna/storage';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeAuthority } from '../../../test-support/authorities.js';
import { ENGINES, type TestDatabase } from '../../../test-support/databases.js';
import {
  abandonUnfinished,
  appendAudit,
  certificateState,
  createPerson,
  endCard,
  getPerson,
  ISSUER_MIGRATIONS,
  issueCertificateDurably,
  personInputOf,
  recordCard,
  updatePerson,
  type IssuerContext,
  type IssuerSchema,
} from '../src/index.js';
import { issuerTestContext } from '../../../test-support/issuer-fixtures.js';

let signingCa: CertificateAuthority;
let authenticationCa: CertificateAuthority;
let key: SoftwareSigner;
beforeAll(async () => {
  signingCa = await makeAuthority('signing');
  authenticationCa = await makeAuthority('authentication');
  key = await SoftwareSigner.generate();
});

const NOW = new Date('2026-11-27T03:00:00Z');
const PHOTO = renderFacePhoto({ faceSeed: 3, sex: '2', age: 30 });
const personInput = (index: number) => {
  const person = generatePerson({ seed: 'issuer-registry' }, index);
  return { ...personInputOf(person, PHOTO), person };
};

describe.each(ENGINES)('issuer registry on %s', (engine) => {
  let database: TestDatabase<IssuerSchema>;
  let context: IssuerContext;
  beforeAll(async () => {
    ({ database, context } = await issuerTestContext(engine, () => NOW));
  });
  afterAll(() => database.dispose());

  const issue = async (
    personId: string,
    hierarchy: 'signing' | 'authentication',
    holder: { cardId?: string; phoneId?: string },
  ) => {
    const { person } = personInput(Number(personId.slice(1)));
    const expiry: CalendarDate = parseIsoDate('2035-01-01');
    return issueCertificateDurably(context, {
      ca: hierarchy === 'signing' ? signingCa : authenticationCa,
      hierarchy,
      request: {
        profile: hierarchy === 'signing' ? 'jpki-signing' : 'jpki-authentication',
        subjectPublicKeyInfo: key.publicKeyInfo,
        holder: {
          basicFourInfo: basicFourInfoOf(person),
          municipalityCode: person.municipalityCode,
          prefecture: person.prefecture,
          municipality: person.municipality,
          cardExpiry: expiry,
        },
        issuedAt: NOW,
      },
      holder: { personId, ...holder },
      actor: 'test',
    });
  };

  it('migrates once and keeps the registry, with an audit log that holds no My Number', async () => {
    expect(await migrate(database.db as Kysely<unknown>, database.engine, ISSUER_MIGRATIONS)).toEqual([]);
    const input = personInput(1);
    const id = await createPerson(context, input, 'admin:alice');
    expect(id).toBe(input.id);
    const stored = await getPerson(context, id);
    expect(stored.myNumber).toBe(input.myNumber);
    expect(stored.basicFourInfo.name).toBe(input.basicFourInfo.name);
    await expect(createPerson(context, { ...input, id: 'P9999999' }, 'admin:alice')).rejects.toMatchObject({
      code: 'ERR_PERSON_EXISTS',
    });
    await expect(
      createPerson(context, { ...personInput(2), myNumber: '123456789012' }, 'admin:alice'),
    ).rejects.toMatchObject({ code: 'ERR_PERSON_INVALID' });
    const audit = await database.db.selectFrom('audit_log').selectAll().execute();
    expect(audit.map((row) => row.action)).toEqual(['person.create']);
    expect(JSON.stringify(audit)).not.toContain(input.myNumber);
  });

  it('refuses a My Number in the audit log but not 12 digits inside a hex serial (regression)', async () => {
    const entry = (subjectId: string, reason: string) =>
      inTransaction(database.db, (trx) =>
        appendAudit(trx, context, { actor: 'test', action: 'test', subjectType: 'certificate', subjectId, reason }),
      );
    // '123456789018' is a valid My Number; inside a serial number it is only hex digits.
    await expect(entry('4a123456789018ff', 'serial')).resolves.toBeUndefined();
    await expect(entry('x', 'moved 123456789018')).rejects.toMatchObject({ code: 'ERR_AUDIT_SECRET' });
    await expect(entry('x', 'id=123456789018;')).rejects.toMatchObject({ code: 'ERR_AUDIT_SECRET' });
  });

  it('keeps the audit log append-only in the database', async () => {
    await expect(database.db.updateTable('audit_log').set({ actor: 'mallory' }).execute()).rejects.toThrow(
      /append-only/,
    );
    await expect(database.db.deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
  });

  it('stores the to-be-signed certificate before signing and records the signed one', async () => {
    const card = await recordCard(context, { personId: 'P0000001', expiresOn: '2035-01-01', actor: 'admin:alice' });
    const der = await issue('P0000001', 'signing', { cardId: card });
    const row = await database.db
      .selectFrom('certificates')
      .selectAll()
      .where('card_id', '=', card)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('issued');
    expect(Buffer.from(row.der!).equals(Buffer.from(der))).toBe(true);
    expect(row.serial).toMatch(/^[0-9a-f]{32}$/);
    expect(await certificateState(context, 'signing', row.serial)).toEqual({ status: 'good' });
    expect(await certificateState(context, 'signing', 'deadbeef')).toEqual({ status: 'unknown' });
  });

  it('revokes every signing certificate — card and phone — when the 4 info change, in one transaction', async () => {
    const input = personInput(3);
    await createPerson(context, input, 'admin:alice');
    const card = await recordCard(context, { personId: input.id, expiresOn: '2035-01-01', actor: 'admin:alice' });
    await database.db
      .insertInto('phones')
      .values({
        id: 'F1',
        person_id: input.id,
        card_id: card,
        status: 'active',
        device_key: '{}',
        provisioned_at: NOW.toISOString(),
        updated_at: NOW.toISOString(),
      })
      .execute();
    await issue(input.id, 'signing', { cardId: card });
    await issue(input.id, 'signing', { phoneId: 'F1' });
    await issue(input.id, 'authentication', { cardId: card });

    // A change that cannot be audited rolls back as a whole: nothing is revoked, nothing changed.
    await expect(
      updatePerson(
        context,
        input.id,
        { address: '東京都千代田区永田町１－７－１' },
        'admin:alice',
        `moved ${input.myNumber}`,
      ),
    ).rejects.toMatchObject({ code: 'ERR_AUDIT_SECRET' });
    expect((await getPerson(context, input.id)).basicFourInfo.address).toBe(input.basicFourInfo.address);
    expect(
      await database.db
        .selectFrom('certificates')
        .select('status')
        .where('person_id', '=', input.id)
        .where('status', '=', 'revoked')
        .execute(),
    ).toEqual([]);

    const { revoked } = await updatePerson(
      context,
      input.id,
      { address: '東京都千代田区永田町１－７－１' },
      'admin:alice',
      '転居届',
    );
    expect(revoked).toHaveLength(2);
    const rows = await database.db
      .selectFrom('certificates')
      .select(['hierarchy', 'status', 'reason', 'serial'])
      .where('person_id', '=', input.id)
      .execute();
    expect(
      rows
        .filter((row) => row.hierarchy === 'signing')
        .every((row) => row.status === 'revoked' && row.reason === 'affiliationChanged'),
    ).toBe(true);
    expect(rows.find((row) => row.hierarchy === 'authentication')?.status).toBe('issued');
    const state = await certificateState(context, 'signing', revoked[0]!);
    expect(state).toMatchObject({ status: 'revoked', reason: 'affiliationChanged' });
    expect((await getPerson(context, input.id)).version).toBe(2);
    const events = await database.db
      .selectFrom('revocations')
      .select(['serial', 'reason'])
      .where('serial', 'in', revoked)
      .execute();
    expect(events).toHaveLength(2);
    // Only the kana changing is no 4-info change and revokes nothing.
    expect(
      (await updatePerson(context, input.id, { nameKana: 'テスト　カナ' }, 'admin:alice', '訂正')).revoked,
    ).toEqual([]);
  });

  it('a lost card revokes its certificates and its phones’ and ends the phones', async () => {
    const input = personInput(4);
    await createPerson(context, input, 'admin:alice');
    const card = await recordCard(context, { personId: input.id, expiresOn: '2035-01-01', actor: 'admin:alice' });
    await database.db
      .insertInto('phones')
      .values({
        id: 'F4',
        person_id: input.id,
        card_id: card,
        status: 'active',
        device_key: '{}',
        provisioned_at: NOW.toISOString(),
        updated_at: NOW.toISOString(),
      })
      .execute();
    await issue(input.id, 'authentication', { cardId: card });
    await issue(input.id, 'authentication', { phoneId: 'F4' });
    const { revoked } = await endCard(context, card, 'lost', 'admin:alice', '紛失届');
    expect(revoked).toHaveLength(2);
    expect(
      (await database.db.selectFrom('phones').select('status').where('id', '=', 'F4').executeTakeFirstOrThrow()).status,
    ).toBe('revoked');
    await expect(endCard(context, card, 'renewed', 'admin:alice', 'again')).rejects.toMatchObject({
      code: 'ERR_CARD_STATE',
    });
  });

  it('abandons certificates left prepared by a crash, and answers them as revoked', async () => {
    await database.db
      .insertInto('certificates')
      .values({
        serial: 'abcdef0123456789',
        hierarchy: 'signing',
        person_id: 'P0000001',
        card_id: null,
        phone_id: null,
        municipality_code: '13101',
        status: 'prepared',
        tbs: new Uint8Array([0x30, 0x00]),
        der: null,
        not_after: '2030-01-01T00:00:00.000Z',
        reason: null,
        revoked_at: null,
        created_at: '2026-11-27T02:00:00.000Z',
        issued_at: null,
      })
      .execute();
    expect(await abandonUnfinished(context, NOW)).toBe(1);
    expect(await certificateState(context, 'signing', 'abcdef0123456789')).toMatchObject({ status: 'revoked' });
  });

  it('works through the engine-neutral time columns (ISO text sorts as time)', async () => {
    const rows = await sql<{
      n: number;
    }>`select count(*) as n from certificates where created_at <= ${NOW.toISOString()}`.execute(database.db);
    expect(Number(rows.rows[0]!.n)).toBeGreaterThan(0);
  });
});
