import { CommanderError, InvalidArgumentError } from 'commander';

import { openKeyCustody, type KeyCustody } from '@openmyna/issuer';

import { passphrase } from './pki-store.js';

/** The `--keys` help text, shared by every command that opens the authority's keys. */
export const KEYS_OPTION_HELP =
  'where the authority\'s private keys are: "files" (sealed with the CA passphrase under <data>/pki, the default) or a PKCS#11 URI, e.g. "pkcs11:token=openmyna;module-path=/usr/lib/softhsm/libsofthsm2.so?pin-source=/run/secrets/pin" (PIN from pin-source or OPENMYNA_PKCS11_PIN; module from module-path or OPENMYNA_PKCS11_MODULE); default OPENMYNA_ISSUER_KEYS, else files';

/** The code of a usage error whose argument holds a secret: reported without the argument. */
export const SECRET_ARGUMENT = 'openmyna.secretArgument';

/** Checks a `--keys` value, for commander options. */
export function keysOption(value: string): string {
  if (value !== 'files' && !value.startsWith('pkcs11:'))
    throw new InvalidArgumentError('--keys is "files" or a PKCS#11 URI (pkcs11:token=…)');
  // A PIN on the command line is in every `ps` listing and shell history. Not an InvalidArgumentError:
  // commander would print the value, PIN included, back.
  if (/[:;?&]pin-value=/.test(value))
    throw new CommanderError(
      2,
      SECRET_ARGUMENT,
      "option '--keys' takes no pin-value (the command line is visible to every user): put the PIN in a file only you can read and give pin-source=<file>, or set OPENMYNA_PKCS11_PIN",
    );
  return value;
}

/**
 * Opens the issuing authority's key custody once: the PKCS#11 token `keys` names, else the sealed
 * files of `dataDir` (the CA passphrase read here, once; created only when `create`).
 */
export async function openIssuerKeys(dataDir: string, keys?: string, create = false): Promise<KeyCustody> {
  const chosen = keys ?? process.env['OPENMYNA_ISSUER_KEYS'] ?? 'files';
  if (chosen.startsWith('pkcs11:')) return openKeyCustody({ backend: 'pkcs11', uri: chosen });
  return openKeyCustody({ backend: 'sealed-files', dataDir, passphrase: await passphrase(dataDir, create) });
}
