import {
  basicFourInfoOf,
  formatIsoDate,
  parseIsoDate,
  parseMunicipalityCode,
  parseMyNumber,
  validateBasicFourInfo,
  validateResidentCodeFormat,
  type BasicFourInfo,
  type SyntheticPerson,
} from '@openmyna/core';
import { inTransaction, isUniqueViolation } from '@openmyna/storage';
import type { Transaction } from 'kysely';

import { appendAudit } from './audit.js';
import {
  faceImageInputsDigest,
  renderPersonFaceImages,
  storeFaceImagesInTransaction,
  type FaceImageInputs,
  type PersonFaceImages,
} from './card-face-images.js';
import { revokeInTransaction } from './certificates.js';
import { endPhonesInTransaction } from './phones.js';
import { isoTime, newId, type IssuerContext } from './context.js';
import { IssuerError } from './errors.js';
import { MY_NUMBER_INDEX_PREFIX, myNumberIndex, sealMyNumber, unsealMyNumber } from './my-number-seal.js';
import type { CardStatus, IssuerSchema } from './storage/schema.js';

/** A resident as the registry holds them. */
export interface PersonInput {
  readonly id?: string;
  readonly basicFourInfo: BasicFourInfo;
  readonly nameKana: string;
  readonly myNumber: string;
  readonly residentCode: string;
  readonly municipalityCode: string;
  readonly photo: Uint8Array;
}

export interface Person extends Required<PersonInput> {
  readonly version: number;
}

/** The registry input of a synthetic person (`@openmyna/core`'s population) with `photo`. */
export function personInputOf(person: SyntheticPerson, photo: Uint8Array): PersonInput & { readonly id: string } {
  return {
    id: person.id,
    basicFourInfo: basicFourInfoOf(person),
    nameKana: person.nameKana,
    myNumber: person.myNumber,
    residentCode: person.residentCode,
    municipalityCode: person.municipalityCode,
    photo,
  };
}

function validated(input: PersonInput): PersonInput {
  try {
    return {
      ...input,
      basicFourInfo: validateBasicFourInfo(input.basicFourInfo),
      myNumber: parseMyNumber(input.myNumber),
      residentCode: validateResidentCodeFormat(input.residentCode),
      municipalityCode: parseMunicipalityCode(input.municipalityCode),
    };
  } catch (error) {
    // core's messages name the field and never echo the value.
    throw new IssuerError('ERR_PERSON_INVALID', (error as Error).message, { cause: error });
  }
}

async function renderFaceImagesOrRefuse(inputs: FaceImageInputs): Promise<PersonFaceImages> {
  try {
    return await renderPersonFaceImages(inputs);
  } catch (error) {
    throw new IssuerError('ERR_PERSON_INVALID', 'the face photo is not a JPEG image', { cause: error });
  }
}

/** Registers a resident. Throws `ERR_PERSON_INVALID`, or `ERR_PERSON_EXISTS` for a taken id, My Number or 住民票コード. */
export async function createPerson(context: IssuerContext, input: PersonInput, actor: string): Promise<string> {
  const person = validated(input);
  const id = person.id ?? newId(context, 'P');
  // The card-face images are rendered with the registry entry, not on every issuance; a photo that
  // cannot be shown on a card is refused here.
  const images = await renderFaceImagesOrRefuse(person);
  const now = isoTime(context.clock());
  try {
    await inTransaction(context.db, async (trx) => {
      await trx
        .insertInto('persons')
        .values({
          id,
          name: person.basicFourInfo.name,
          name_kana: person.nameKana,
          address: person.basicFourInfo.address,
          birth_date: formatIsoDate(person.basicFourInfo.birthDate),
          sex: person.basicFourInfo.sex,
          my_number: myNumberIndex(context.registryKey, person.myNumber),
          my_number_sealed: sealMyNumber(context.registryKey, id, person.myNumber, context.randomBytes(12)),
          resident_code: person.residentCode,
          municipality_code: person.municipalityCode,
          photo: person.photo,
          version: 1,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await storeFaceImagesInTransaction(trx, context, id, { digest: faceImageInputsDigest(person), images });
      await appendAudit(trx, context, {
        actor,
        action: 'person.create',
        subjectType: 'person',
        subjectId: id,
        details: { municipalityCode: person.municipalityCode },
      });
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new IssuerError(
        'ERR_PERSON_EXISTS',
        'a person with this id, My Number or 住民票コード is already registered',
        { cause: error },
      );
    throw error;
  }
  return id;
}

function myNumberOf(
  context: IssuerContext,
  row: { readonly id: string; readonly my_number: string; readonly my_number_sealed: Uint8Array | null },
): string {
  if (row.my_number_sealed) return unsealMyNumber(context.registryKey, row.id, new Uint8Array(row.my_number_sealed));
  throw new IssuerError('ERR_REGISTRY_KEY', `person ${row.id} is not sealed yet: run the issuer once (sealRegistry)`);
}

/**
 * Converts a registry written before My Numbers were sealed (run at start-up): each row that still holds
 * the number in the clear gets its keyed digest and its sealed copy. Returns how many were converted.
 */
export async function sealRegistry(context: IssuerContext): Promise<number> {
  const rows = await context.db
    .selectFrom('persons')
    .select(['id', 'my_number'])
    .where('my_number_sealed', 'is', null)
    .execute();
  for (const row of rows) {
    if (row.my_number.startsWith(MY_NUMBER_INDEX_PREFIX)) continue;
    await context.db
      .updateTable('persons')
      .set({
        my_number: myNumberIndex(context.registryKey, row.my_number),
        my_number_sealed: sealMyNumber(context.registryKey, row.id, row.my_number, context.randomBytes(12)),
      })
      .where('id', '=', row.id)
      .where('my_number', '=', row.my_number)
      .execute();
  }
  return rows.length;
}

/** The ids of every person in the registry (no personal data is read or unsealed). */
export async function listPersonIds(context: IssuerContext): Promise<string[]> {
  const rows = await context.db.selectFrom('persons').select('id').execute();
  return rows.map((row) => row.id);
}

/** Reads a resident, or throws `ERR_PERSON_NOT_FOUND`. */
export async function getPerson(context: IssuerContext, id: string): Promise<Person> {
  const row = await context.db.selectFrom('persons').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new IssuerError('ERR_PERSON_NOT_FOUND', 'no such person');
  return {
    id: row.id,
    basicFourInfo: {
      name: row.name,
      address: row.address,
      birthDate: parseIsoDate(row.birth_date),
      sex: row.sex as BasicFourInfo['sex'],
    },
    nameKana: row.name_kana,
    myNumber: myNumberOf(context, row),
    residentCode: row.resident_code,
    municipalityCode: row.municipality_code,
    photo: new Uint8Array(row.photo),
    version: row.version,
  };
}

export interface PersonChanges {
  readonly name?: string;
  readonly address?: string;
  readonly birthDate?: string;
  readonly sex?: string;
  readonly nameKana?: string;
  readonly photo?: Uint8Array;
  readonly municipalityCode?: string;
}

/**
 * Updates a resident. A change to any of the 4 info revokes every signing certificate of the person —
 * card's and phones' — in the same transaction (card-spec §4.1; reason affiliationChanged); the
 * authentication certificates stay, as JPKI's do. Returns the revoked serials.
 */
export async function updatePerson(
  context: IssuerContext,
  id: string,
  changes: PersonChanges,
  actor: string,
  why: string,
): Promise<{ revoked: string[] }> {
  const faceImages = await renderChangedFace(context, id, changes);
  const outcome = await inTransaction(context.db, async (trx) => {
    const current = await trx.selectFrom('persons').selectAll().where('id', '=', id).executeTakeFirst();
    if (!current) throw new IssuerError('ERR_PERSON_NOT_FOUND', 'no such person');
    const { next, info } = changedFourInfo(current, changes);
    const fourInfoChanged = (['name', 'address', 'birth_date', 'sex'] as const).filter(
      (field) => next[field] !== current[field],
    );
    await trx
      .updateTable('persons')
      .set({
        name: info.name,
        address: info.address,
        birth_date: formatIsoDate(info.birthDate),
        sex: info.sex,
        name_kana: changes.nameKana ?? current.name_kana,
        photo: changes.photo ?? current.photo,
        municipality_code: changes.municipalityCode ?? current.municipality_code,
        version: current.version + (fourInfoChanged.length > 0 ? 1 : 0),
        updated_at: isoTime(context.clock()),
      })
      .where('id', '=', id)
      .execute();
    if (faceImages) await storeFaceImagesInTransaction(trx, context, id, faceImages);
    await appendAudit(trx, context, {
      actor,
      action: 'person.update',
      subjectType: 'person',
      subjectId: id,
      reason: why,
      details: {
        changed: [
          ...fourInfoChanged,
          ...Object.keys(changes).filter((key) => !['name', 'address', 'birthDate', 'sex'].includes(key)),
        ],
      },
    });
    if (fourInfoChanged.length === 0) return { revoked: [] };
    return { revoked: await revokeSigningCertificates(trx, context, { id, actor, fourInfoChanged }) };
  });
  return outcome;
}

/**
 * The card face rendered again with a change of name, address or photo, not at the next issuance (and
 * a photo that cannot be shown on a card is refused). A concurrent change may make these images stale;
 * they carry the digest of what they show, and stale ones are rendered again when next used.
 */
async function renderChangedFace(
  context: IssuerContext,
  id: string,
  changes: PersonChanges,
): Promise<{ digest: string; images: PersonFaceImages } | undefined> {
  if (changes.name === undefined && changes.address === undefined && changes.photo === undefined) return undefined;
  const current = await getPerson(context, id);
  const inputs = {
    basicFourInfo: {
      name: changes.name ?? current.basicFourInfo.name,
      address: changes.address ?? current.basicFourInfo.address,
    },
    myNumber: current.myNumber,
    photo: changes.photo ?? current.photo,
  };
  return { digest: faceImageInputsDigest(inputs), images: await renderFaceImagesOrRefuse(inputs) };
}

/** The 4 info after `changes`, as stored and validated (`ERR_PERSON_INVALID`), and the municipality checked. */
function changedFourInfo(
  current: { name: string; address: string; birth_date: string; sex: string },
  changes: PersonChanges,
): { next: { name: string; address: string; birth_date: string; sex: string }; info: BasicFourInfo } {
  const next = {
    name: changes.name ?? current.name,
    address: changes.address ?? current.address,
    birth_date: changes.birthDate ?? current.birth_date,
    sex: changes.sex ?? current.sex,
  };
  try {
    const info = validateBasicFourInfo({
      name: next.name,
      address: next.address,
      birthDate: parseIsoDate(next.birth_date),
      sex: next.sex,
    });
    if (changes.municipalityCode) parseMunicipalityCode(changes.municipalityCode);
    return { next, info };
  } catch (error) {
    throw new IssuerError('ERR_PERSON_INVALID', (error as Error).message, { cause: error });
  }
}

/** Card-spec §4.1: a change of the 4 info revokes every live signing certificate of the person. */
async function revokeSigningCertificates(
  trx: Transaction<IssuerSchema>,
  context: IssuerContext,
  options: { readonly id: string; readonly actor: string; readonly fourInfoChanged: readonly string[] },
): Promise<string[]> {
  const signing = await trx
    .selectFrom('certificates')
    .select('serial')
    .where('person_id', '=', options.id)
    .where('hierarchy', '=', 'signing')
    .where('status', 'in', ['issued', 'suspended'])
    .execute();
  return revokeInTransaction(trx, context, {
    serials: signing.map((row) => row.serial),
    reason: 'affiliationChanged',
    actor: options.actor,
    why: `the 4 info changed (${options.fourInfoChanged.join(', ')})`,
  });
}

/** Records a newly issued card (its certificates are issued separately, durably). */
export async function recordCard(
  context: IssuerContext,
  options: { readonly personId: string; readonly expiresOn: string; readonly actor: string; readonly id?: string },
): Promise<string> {
  const id = options.id ?? newId(context, 'C');
  const now = isoTime(context.clock());
  await inTransaction(context.db, async (trx) => {
    const person = await trx.selectFrom('persons').select('id').where('id', '=', options.personId).executeTakeFirst();
    if (!person) throw new IssuerError('ERR_PERSON_NOT_FOUND', 'no such person');
    await trx
      .insertInto('cards')
      .values({
        id,
        person_id: options.personId,
        status: 'active',
        issued_at: now,
        expires_on: options.expiresOn,
        updated_at: now,
      })
      .execute();
    await appendAudit(trx, context, {
      actor: options.actor,
      action: 'card.issue',
      subjectType: 'card',
      subjectId: id,
      details: { personId: options.personId },
    });
  });
  return id;
}

/**
 * Ends a card: `lost` (reason keyCompromise) or `renewed` (superseded). Revokes the card's
 * certificates and those of every phone provisioned from it, and marks those phones revoked — one
 * transaction. Returns the revoked serials.
 */
export async function endCard(
  context: IssuerContext,
  cardId: string,
  status: Exclude<CardStatus, 'active'>,
  actor: string,
  why: string,
): Promise<{ revoked: string[] }> {
  return inTransaction(context.db, async (trx) => {
    const card = await trx.selectFrom('cards').select(['status']).where('id', '=', cardId).executeTakeFirst();
    if (!card) throw new IssuerError('ERR_CARD_NOT_FOUND', 'no such card');
    if (card.status !== 'active') throw new IssuerError('ERR_CARD_STATE', `the card is already ${card.status}`);
    const now = isoTime(context.clock());
    await trx.updateTable('cards').set({ status, updated_at: now }).where('id', '=', cardId).execute();
    const phones = await trx
      .selectFrom('phones')
      .select('id')
      .where('card_id', '=', cardId)
      .where('status', '!=', 'revoked')
      .execute();
    const phoneIds = phones.map((phone) => phone.id);
    const reason = status === 'lost' ? 'keyCompromise' : 'superseded';
    const fromPhones = await endPhonesInTransaction(trx, context, { phoneIds, reason, actor, why });
    const cardSerials = await trx
      .selectFrom('certificates')
      .select('serial')
      .where('card_id', '=', cardId)
      .where('status', 'in', ['issued', 'suspended'])
      .execute();
    await appendAudit(trx, context, {
      actor,
      action: `card.${status}`,
      subjectType: 'card',
      subjectId: cardId,
      reason: why,
      details: { phones: phoneIds },
    });
    const fromCard = await revokeInTransaction(trx, context, {
      serials: cardSerials.map((row) => row.serial),
      reason,
      actor,
      why,
    });
    return { revoked: [...fromCard, ...fromPhones] };
  });
}
