import { PhoneBundleSchema, type PhoneBundle } from '@openmyna/card';

import { WalletError } from './errors.js';

export type { PhoneBundle } from '@openmyna/card';

/**
 * Checks the issuer's bundle (`PhoneBundleSchema` in `@openmyna/card`: every field present and of its
 * type) before anything is built from it; a malformed one is `ERR_BUNDLE_INVALID`, naming the field.
 */
export function parsePhoneBundle(value: unknown): PhoneBundle {
  const parsed = PhoneBundleSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const path = parsed.error.issues[0]?.path.map(String).join('.') || 'bundle';
  throw new WalletError('ERR_BUNDLE_INVALID', `the issuer's bundle is malformed at ${path}`);
}
