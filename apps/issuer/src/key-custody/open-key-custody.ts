import { KeyCustodyError } from './errors.js';
import type { KeyCustody } from './key-custody.js';
import { openPkcs11Custody, type Pkcs11CustodyOptions } from './pkcs11-custody.js';
import { openSealedFileCustody, type SealedFileCustodyOptions } from './sealed-file-custody.js';

/** Which custody to open, and with what. */
export type KeyCustodySpec =
  | ({ readonly backend: 'sealed-files' } & SealedFileCustodyOptions)
  | ({ readonly backend: 'pkcs11' } & Pkcs11CustodyOptions);

/**
 * Opens the authority's key custody: sealed files in the data directory, or a PKCS#11 token.
 *
 * @example
 * ```ts
 * const custody = await openKeyCustody({ backend: 'pkcs11', uri: 'pkcs11:token=openmyna?pin-source=/run/secrets/pin' });
 * const signer = await custody.rsaSigner('jpki-signing-ca');
 * ```
 */
export async function openKeyCustody(spec: KeyCustodySpec): Promise<KeyCustody> {
  switch (spec.backend) {
    case 'sealed-files':
      return openSealedFileCustody(spec);
    case 'pkcs11':
      return openPkcs11Custody(spec);
    default:
      throw new KeyCustodyError('ERR_KEY_CUSTODY_URI', `unknown key custody backend ${String(spec satisfies never)}`);
  }
}
