import { CoreError, decodeTlvChildren, decodeTlvRecord, type TlvObject } from '@openmyna/core';

import { CardError } from './errors.js';

/** One record from an EF's bytes (filler allowed after it), which must carry `tag`. */
export function readRecordObject(bytes: Uint8Array, tag: number, what: string): TlvObject {
  let object;
  try {
    object = decodeTlvRecord(bytes).object;
  } catch (error) {
    throw new CardError('ERR_CARD_RECORD', `${what} is not a BER-TLV record`, {
      cause: error instanceof CoreError ? error : undefined,
    });
  }
  if (object.tag !== tag)
    throw new CardError('ERR_CARD_RECORD', `${what} does not start with tag ${tag.toString(16).toUpperCase()}`);
  return object;
}

/** The objects inside a record. */
export function readRecordChildren(object: TlvObject, what: string): TlvObject[] {
  try {
    return decodeTlvChildren(object);
  } catch (error) {
    throw new CardError('ERR_CARD_RECORD', `${what} holds malformed objects`, {
      cause: error instanceof CoreError ? error : undefined,
    });
  }
}
