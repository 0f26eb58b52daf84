import { decodeIssuedMdoc, type CborValue } from '@openmyna/mdoc';
import { base64ToBytes } from '@openmyna/pki';

import type { PhoneBundle } from './bundle.js';
import type { AvailableElements } from './consent.js';

/** What the home screen shows: the holder as the card face gives them. */
export interface HolderSummary {
  readonly phoneId: string;
  readonly name: string;
  readonly address: string;
  /** 和暦, as printed. */
  readonly birthDate: string;
  readonly sex: string;
  /** JPEG. */
  readonly portrait: Uint8Array;
  readonly cardExpiry: string;
  readonly hasSigningCertificate: boolean;
}

/** The holder as the phone's card face shows them (the home screen; the holder's own phone). */
export function holderSummary(bundle: PhoneBundle): HolderSummary {
  const elements = mdocElements(bundle);
  const text = (name: string) => {
    const value = elements.get(`org.iso.23220.1.jp:${name}`);
    return typeof value === 'string' ? value : '';
  };
  const portrait = elements.get('org.iso.23220.1.jp:portrait');
  return {
    phoneId: bundle.phoneId,
    name: text('full_name_unicode'),
    address: text('resident_address_unicode'),
    birthDate: text('birth_date_unicode'),
    sex: text('sex_unicode'),
    portrait: portrait instanceof Uint8Array ? portrait : new Uint8Array(),
    cardExpiry: bundle.cardExpiry,
    hasSigningCertificate: bundle.jpki.signingCertificate !== undefined,
  };
}

function mdocElements(bundle: PhoneBundle): Map<string, CborValue> {
  const { issuerSigned } = decodeIssuedMdoc(base64ToBytes(bundle.mdoc));
  const values = new Map<string, CborValue>();
  for (const [nameSpace, items] of issuerSigned.nameSpaces)
    for (const item of items) values.set(`${nameSpace}:${item.elementIdentifier}`, item.elementValue);
  return values;
}

/**
 * The elements the phone's mdoc holds, by namespace.
 *
 * @example
 * ```ts
 * const available = availableElements(await wallet.secureArea.bundle());
 * ```
 */
export function availableElements(bundle: PhoneBundle): AvailableElements {
  const { issuerSigned } = decodeIssuedMdoc(base64ToBytes(bundle.mdoc));
  return new Map(
    [...issuerSigned.nameSpaces].map(([nameSpace, items]) => [
      nameSpace,
      new Set(items.map((item) => item.elementIdentifier)),
    ]),
  );
}
