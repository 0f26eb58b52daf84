import { createHash } from 'node:crypto';

import type { VirtualCardIssue } from '@openmyna/card';
import type { BasicFourInfo } from '@openmyna/core';
import { encodeFacePhotoJp2, renderCardFaceText, renderSecurityCodeImage } from '@openmyna/card/node';
import type { Transaction } from 'kysely';

import { isoTime, type IssuerContext } from './context.js';
import type { IssuerSchema } from './storage/schema.js';

/** What a person's card face shows that is the same on every card and phone: all but the security code. */
export type PersonFaceImages = Omit<VirtualCardIssue['cardFaceImages'], 'securityCode'>;

/** The registry data a person's face images show. */
export interface FaceImageInputs {
  readonly myNumber: string;
  readonly photo: Uint8Array;
  readonly basicFourInfo: Pick<BasicFourInfo, 'name' | 'address'>;
}

/** SHA-256 over the registry data the images show, so stale images are never served. */
export function faceImageInputsDigest(inputs: FaceImageInputs): string {
  return createHash('sha256')
    .update(JSON.stringify([inputs.basicFourInfo.name, inputs.basicFourInfo.address, inputs.myNumber]))
    .update(inputs.photo)
    .digest('hex');
}

/**
 * Renders a person's face images: name, address and 個人番号 as 1-bit PNGs, the photo as greyscale
 * JPEG 2000 (the costly part, ~14 ms). Throws the card package's `ERR_CARD_RECORD` for a photo that is
 * not a JPEG image.
 */
export async function renderPersonFaceImages(inputs: FaceImageInputs): Promise<PersonFaceImages> {
  const text = renderCardFaceText({
    name: inputs.basicFourInfo.name,
    address: inputs.basicFourInfo.address,
    myNumber: inputs.myNumber,
    securityCode: '',
  });
  return {
    name: text.name,
    address: text.address,
    myNumber: text.myNumber,
    photo: await encodeFacePhotoJp2(inputs.photo),
  };
}

/** Stores a person's rendered face images (replacing older ones) inside the registry's transaction. */
export async function storeFaceImagesInTransaction(
  trx: Transaction<IssuerSchema>,
  context: IssuerContext,
  personId: string,
  rendered: { readonly digest: string; readonly images: PersonFaceImages },
): Promise<void> {
  const row = {
    inputs_digest: rendered.digest,
    name: rendered.images.name,
    address: rendered.images.address,
    my_number: rendered.images.myNumber,
    photo: rendered.images.photo,
    rendered_at: isoTime(context.clock()),
  };
  await trx
    .insertInto('card_face_images')
    .values({ person_id: personId, ...row })
    .onConflict((conflict) => conflict.column('person_id').doUpdateSet(row))
    .execute();
}

/**
 * The card face as printed for a registered person, with `securityCode` (blank for a phone, which has
 * none). The person's images come from the registry, rendered when it last changed; images rendered
 * from other data than the person's current record (rows from before they were kept) are rendered
 * again and stored.
 */
export async function cardFaceImagesOf(
  context: IssuerContext,
  person: FaceImageInputs & { readonly id: string },
  securityCode: string,
): Promise<VirtualCardIssue['cardFaceImages']> {
  const digest = faceImageInputsDigest(person);
  const row = await context.db
    .selectFrom('card_face_images')
    .selectAll()
    .where('person_id', '=', person.id)
    .executeTakeFirst();
  let images: PersonFaceImages;
  if (row?.inputs_digest === digest) {
    images = {
      name: new Uint8Array(row.name),
      address: new Uint8Array(row.address),
      myNumber: new Uint8Array(row.my_number),
      photo: new Uint8Array(row.photo),
    };
  } else {
    images = await renderPersonFaceImages(person);
    await context.db
      .transaction()
      .execute((trx) => storeFaceImagesInTransaction(trx, context, person.id, { digest, images }));
  }
  return { ...images, securityCode: renderSecurityCodeImage(securityCode) };
}
