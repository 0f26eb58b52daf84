import { decodeTlv, decodeTlvChildren } from '@openmyna/core';

import type { ValidatedLeaf } from './certificate-chain.js';
import { MY_NUMBER_ELEMENT } from './card-face-document.js';
import type { ItemsRequest } from './device-request.js';

/** One requested data element with the reader's declared intent to retain it. */
export interface RequestedElement {
  readonly nameSpace: string;
  readonly elementIdentifier: string;
  readonly intentToRetain: boolean;
}

/** Why the holder's side will not release an element; shown to the user on the consent screen. */
export type RefusalReason =
  /** The reader asked for the My Number without a certificate that authorizes it. */
  | 'reader-not-authorized-for-my-number'
  /** The reader's certificate lists what it may request, and this is not among it. */
  | 'reader-not-authorized'
  /** The credential does not hold the element (or the docType). */
  | 'not-available';

export interface RefusedElement extends RequestedElement {
  readonly reason: RefusalReason;
}

/** What the consent screen shows: who asks, what may be released, what is refused and why. */
export interface RequestEvaluation {
  readonly docType: string;
  readonly reader: {
    /** True only when ReaderAuth verified against a configured reader CA. */
    readonly authenticated: boolean;
    /** The reader certificate's commonName, when authenticated. */
    readonly commonName?: string;
  };
  readonly releasable: readonly RequestedElement[];
  readonly refused: readonly RefusedElement[];
}

const isMyNumber = (nameSpace: string, elementIdentifier: string): boolean =>
  nameSpace === MY_NUMBER_ELEMENT.nameSpace && elementIdentifier === MY_NUMBER_ELEMENT.elementIdentifier;

/**
 * The holder's side of "who may ask for what" (DESIGN.md, Privacy): the My Number is released only to
 * an authenticated reader whose certificate authorizes `individual_number_unicode` for this docType;
 * a reader whose certificate lists its authorized elements gets nothing beyond them; an unauthenticated
 * reader may be shown everything else, with a warning, subject to consent.
 *
 * @example
 * ```ts
 * const evaluation = evaluateItemsRequest({ itemsRequest, reader: verified.reader, available });
 * evaluation.refused; // [{ elementIdentifier: 'individual_number_unicode', reason: 'reader-not-authorized-for-my-number', ... }]
 * ```
 */
export function evaluateItemsRequest(options: {
  readonly itemsRequest: ItemsRequest;
  /** The verified reader, or undefined when ReaderAuth was absent or did not verify. */
  readonly reader: ValidatedLeaf | undefined;
  readonly available: ReadonlyMap<string, ReadonlySet<string>>;
  readonly availableDocType: string;
}): RequestEvaluation {
  const { itemsRequest, reader } = options;
  const authorized = reader?.authorizedElements?.filter((element) => element.docType === itemsRequest.docType);
  const releasable: RequestedElement[] = [];
  const refused: RefusedElement[] = [];
  for (const [nameSpace, elements] of itemsRequest.nameSpaces) {
    for (const [elementIdentifier, intentToRetain] of elements) {
      const element = { nameSpace, elementIdentifier, intentToRetain };
      const listed = authorized?.some(
        (entry) => entry.nameSpace === nameSpace && entry.elementIdentifier === elementIdentifier,
      );
      if (
        itemsRequest.docType !== options.availableDocType ||
        !options.available.get(nameSpace)?.has(elementIdentifier)
      ) {
        refused.push({ ...element, reason: 'not-available' });
      } else if (isMyNumber(nameSpace, elementIdentifier) && !listed) {
        refused.push({ ...element, reason: 'reader-not-authorized-for-my-number' });
      } else if (authorized && !listed) {
        refused.push({ ...element, reason: 'reader-not-authorized' });
      } else {
        releasable.push(element);
      }
    }
  }
  const commonName = reader ? commonNameOf(reader.certificate.subject) : undefined;
  return {
    docType: itemsRequest.docType,
    reader: { authenticated: reader !== undefined, ...(commonName ? { commonName } : {}) },
    releasable,
    refused,
  };
}

const COMMON_NAME = '550403';
const ORGANIZATION_NAME = '55040a';

/** The first commonName of a DER Name, or undefined. */
export function commonNameOf(name: Uint8Array): string | undefined {
  return attributeOf(name, COMMON_NAME);
}

/** The first organizationName of a DER Name, or undefined. */
export function organizationNameOf(name: Uint8Array): string | undefined {
  return attributeOf(name, ORGANIZATION_NAME);
}

/** Who a certificate names for a person to read: its organization, else its common name. */
export function displayNameOf(name: Uint8Array): string | undefined {
  return organizationNameOf(name) ?? commonNameOf(name);
}

function attributeOf(name: Uint8Array, typeHex: string): string | undefined {
  for (const rdn of decodeTlvChildren(decodeTlv(name))) {
    for (const attribute of decodeTlvChildren(rdn)) {
      const [type, value] = decodeTlvChildren(attribute);
      if (type && value && Array.from(type.value, (byte) => byte.toString(16).padStart(2, '0')).join('') === typeHex) {
        return new TextDecoder().decode(value.value);
      }
    }
  }
  return undefined;
}
