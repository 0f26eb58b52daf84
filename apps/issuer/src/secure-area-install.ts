import {
  decodeMyNumberFile,
  encodeStoredPins,
  PhoneCardContentsSchema,
  phoneContentsMismatch,
  PhoneIdSchema,
  phonePinsProblem,
  phoneReferenceData,
  PHONE_PIN_REFERENCES,
  type PhoneCardContents,
  type PhonePins,
  type StoredPin,
} from '@openmyna/card';
import { base64Decode, constantTimeEqual } from '@openmyna/core';
import { inTransaction } from '@openmyna/storage';

import { isoTime, type IssuerContext } from './context.js';
import { IssuerError } from './errors.js';
import { myNumberIndex } from './my-number-seal.js';
import {
  CREDENTIAL_INFO,
  sealForDevice,
  type Credential,
  type DeviceRow,
  type SecureAreaPublicKeys,
} from './secure-area-devices.js';

/** The bundle fields the applets serve (the issuer's `PhoneBundle`, as the phone received it). */
export const InstalledContents = PhoneCardContentsSchema.extend({ phoneId: PhoneIdSchema });
type InstalledContents = PhoneCardContents & { readonly phoneId: string };

type Refusal = (what: string) => IssuerError;

/**
 * Installs the phone's credential: the device must be the one provisioning certified for the phone
 * the bundle names, that phone active, both certificates the ones the issuer recorded for it and
 * holding this device's keys, the 入力補助 4 info those of the signing certificate, the 券面 records
 * over this device's 券面 key, and the 個人番号, 住民票コード, municipality and card expiry those of the
 * registry. Then the reference data and the counters are made, in one transaction that re-checks the
 * phone.
 */
export async function installCredential(
  context: IssuerContext,
  device: DeviceRow,
  bundle: unknown,
  values: Readonly<Record<string, string>>,
): Promise<{ phoneId: string; tokenSerial: string }> {
  const contents = InstalledContents.parse(bundle);
  const pins = assertPins(values);
  const refuse: Refusal = (what) =>
    new IssuerError('ERR_SECURE_AREA_BUNDLE', `the bundle does not belong to this device: ${what}`);
  if (device.phone_id !== contents.phoneId) throw refuse('provisioning certified this device for another phone');
  let references: Record<string, StoredPin>;
  try {
    await checkBundle(context, device, contents, refuse);
    references = phoneReferenceData(contents, pins, (length) => context.randomBytes(length));
  } catch (error) {
    if (error instanceof IssuerError) throw error;
    throw refuse('a certificate or record does not decode');
  }
  const credential: Credential = {
    contents,
    phoneId: contents.phoneId,
    tokenSerial: Buffer.from(context.randomBytes(8)).toString('hex').toUpperCase(),
    pins: encodeStoredPins(references),
  };
  await activateDevice(context, device, credential, Object.keys(references), refuse);
  return { phoneId: contents.phoneId, tokenSerial: credential.tokenSerial };
}

/** Seals the credential, makes the counters and activates the device, if its phone is still active. */
async function activateDevice(
  context: IssuerContext,
  device: DeviceRow,
  credential: Credential,
  references: readonly string[],
  refuse: Refusal,
): Promise<void> {
  await inTransaction(context.db, async (trx) => {
    const phone = await trx
      .selectFrom('phones')
      .select('status')
      .where('id', '=', credential.phoneId)
      .executeTakeFirst();
    if (phone?.status !== 'active') throw refuse('the phone is no longer active');
    const updated = await trx
      .updateTable('secure_area_devices')
      .set({
        status: 'active',
        sealed_credential: sealForDevice(context, CREDENTIAL_INFO, device.id, credential),
        version: device.version + 1,
        updated_at: isoTime(context.clock()),
      })
      .where('id', '=', device.id)
      .where('status', '=', 'certified')
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1)
      throw new IssuerError('ERR_SECURE_AREA_STATE', 'the device is no longer waiting for its card');
    await trx
      .insertInto('secure_area_counters')
      .values(
        references.map((reference) => ({
          device_id: device.id,
          reference,
          tries_left: PHONE_PIN_REFERENCES[reference as keyof typeof PHONE_PIN_REFERENCES],
        })),
      )
      .execute();
  });
}

async function checkBundle(context: IssuerContext, device: DeviceRow, contents: InstalledContents, refuse: Refusal) {
  const keys = JSON.parse(device.public_keys) as SecureAreaPublicKeys;
  const phone = await context.db
    .selectFrom('phones')
    .innerJoin('persons', 'persons.id', 'phones.person_id')
    .innerJoin('cards', 'cards.id', 'phones.card_id')
    .select([
      'phones.status',
      'persons.my_number',
      'persons.resident_code',
      'persons.municipality_code',
      'cards.expires_on',
    ])
    .where('phones.id', '=', contents.phoneId)
    .executeTakeFirst();
  if (phone?.status !== 'active') throw refuse('no active phone of this issuer has that id');
  await checkRecordedCertificates(context, contents, refuse);
  const mismatch = phoneContentsMismatch(contents, keys);
  if (mismatch) throw refuse(mismatch);
  const { myNumber } = decodeMyNumberFile(base64Decode(contents.kenhojo.myNumberFile));
  if (myNumberIndex(context.registryKey, myNumber) !== phone.my_number)
    throw refuse('the 個人番号 is not the registry’s');
  if (
    contents.juki.residentCode !== phone.resident_code ||
    contents.municipalityCode !== phone.municipality_code ||
    contents.cardExpiry !== phone.expires_on
  )
    throw refuse('the 住民票コード, municipality or card expiry is not the registry’s');
}

/** Both certificates of the bundle must be ones the issuer recorded as issued for the phone. */
async function checkRecordedCertificates(context: IssuerContext, contents: InstalledContents, refuse: Refusal) {
  const recorded = await context.db
    .selectFrom('certificates')
    .select(['hierarchy', 'der'])
    .where('phone_id', '=', contents.phoneId)
    .where('status', '=', 'issued')
    .execute();
  const recordedFor = (hierarchy: 'authentication' | 'signing', certificate: string | undefined) =>
    certificate === undefined
      ? hierarchy === 'signing'
      : recorded.some(
          (each) => each.hierarchy === hierarchy && each.der && constantTimeEqual(each.der, base64Decode(certificate)),
        );
  if (!recordedFor('authentication', contents.jpki.authenticationCertificate))
    throw refuse('the authentication certificate is not one this issuer recorded for the phone');
  if (!recordedFor('signing', contents.jpki.signingCertificate))
    throw refuse('the signing certificate is not one this issuer recorded for the phone');
}

function assertPins(values: Readonly<Record<string, string>>): PhonePins {
  const pins = {
    authentication: values['authentication'],
    signing: values['signing'],
    kenhojo: values['kenhojo'],
    juki: values['juki'],
  } as PhonePins;
  const problem = phonePinsProblem(pins);
  if (problem) throw new IssuerError('ERR_SECURE_AREA_FORMAT', problem);
  return pins;
}
