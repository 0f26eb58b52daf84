import type { TlvObject } from '@openmyna/core';
import { requestBindingDigest, REQUEST_BINDING_OID, type SignatureRequestBinding } from '@openmyna/card';
import { fail, pass, type CheckResult } from '@openmyna/pki';

// The binding itself (OID, digest, attribute) lives in @openmyna/card: the wallet signs it, this checks it.
export {
  REQUEST_BINDING_OID,
  requestBindingAttribute,
  requestBindingDigest,
  type SignatureRequestBinding,
} from '@openmyna/card';

/** `jpki.request-binding`: the verified signature's binding attribute names this request and these records. */
export function checkRequestBinding(
  signedAttributes: ReadonlyMap<string, TlvObject> | undefined,
  binding: SignatureRequestBinding,
): CheckResult {
  const value = signedAttributes?.get(REQUEST_BINDING_OID);
  if (!value) return fail('jpki.request-binding', 'the signature carries no request binding');
  const expected = requestBindingDigest(binding);
  return value.tag === 0x04 && value.value.length === expected.length && value.value.every((b, i) => b === expected[i])
    ? pass('jpki.request-binding')
    : fail('jpki.request-binding', 'the signature was made for another request or other 入力補助 records');
}
